-- CSAF signing key rotation. A key is 'active' (it signs) or 'retired': a
-- retired key signs nothing more but stays listed in provider-metadata.json
-- until listed_until, so that clients verifying older downloads still find
-- it. The key name stops being unique; a partial unique index keeps exactly
-- one active key per name instead, which is what lets several nodes race to
-- create the key at first use and all end up with the same one.
-- SQLite cannot drop a column's UNIQUE constraint, so the table (a handful
-- of rows) is rebuilt; ids are kept.
CREATE TABLE csaf_keys_new (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL,
	fingerprint  TEXT NOT NULL UNIQUE,
	public_key   TEXT NOT NULL,
	-- armored; OpenPGP-encrypted when a passphrase is configured
	private_key  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	state        TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired')),
	retired_at   BIGINT,
	listed_until BIGINT
);
INSERT INTO csaf_keys_new (id, name, fingerprint, public_key, private_key, created_at)
	SELECT id, name, fingerprint, public_key, private_key, created_at FROM csaf_keys;
DROP TABLE csaf_keys;
ALTER TABLE csaf_keys_new RENAME TO csaf_keys;
CREATE UNIQUE INDEX csaf_keys_one_active ON csaf_keys (name) WHERE state = 'active';
