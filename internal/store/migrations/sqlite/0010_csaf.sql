-- The CSAF trusted provider's OpenPGP signing key. One row per key name
-- ("provider"); the unique name lets several nodes race to create it at
-- first use and all end up with the same key. The private key is stored
-- armored and is never served: only public_key and fingerprint leave.
CREATE TABLE csaf_keys (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	fingerprint TEXT NOT NULL,
	public_key  TEXT NOT NULL,
	private_key TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
