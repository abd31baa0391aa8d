-- CSAF signing key rotation. A key is 'active' (it signs) or 'retired': a
-- retired key signs nothing more but stays listed in provider-metadata.json
-- until listed_until, so that clients verifying older downloads still find
-- it. The key name stops being unique; a partial unique index keeps exactly
-- one active key per name instead, which is what lets several nodes race to
-- create the key at first use and all end up with the same one.
-- private_key stays armored; it is OpenPGP-encrypted when a passphrase is
-- configured (see aceso serve).
ALTER TABLE csaf_keys DROP CONSTRAINT csaf_keys_name_key;
ALTER TABLE csaf_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired'));
ALTER TABLE csaf_keys ADD COLUMN retired_at BIGINT;
ALTER TABLE csaf_keys ADD COLUMN listed_until BIGINT;
CREATE UNIQUE INDEX csaf_keys_fingerprint ON csaf_keys (fingerprint);
CREATE UNIQUE INDEX csaf_keys_one_active ON csaf_keys (name) WHERE state = 'active';
