-- A change counter for everything the sharing exporters (MISP feed, TAXII,
-- STIX) read besides advisories. Their caches key on SharingStamp; deriving
-- it from count/max(id)/max(shared_at) missed changes that reuse the
-- highest rowid (SQLite, after a delete) or happen within one clock tick,
-- and changes to organisations' client_of. Every such write bumps it in its
-- own transaction. One row, so the stamp is one indexed read.
CREATE TABLE sharing_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO sharing_version (id, version) VALUES (1, 0);
