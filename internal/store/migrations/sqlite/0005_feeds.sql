-- CSAF feed sources the CSIRT syncs (provider-metadata.json or
-- aggregator.json), with their sync status and a lease so that only one
-- serve node syncs a source at a time; and per-organisation notification
-- settings (the webhook that receives advisory alerts).
CREATE TABLE feed_sources (
	id               INTEGER PRIMARY KEY,
	url              TEXT NOT NULL,
	name             TEXT NOT NULL DEFAULT '',
	enabled          BOOLEAN NOT NULL DEFAULT TRUE,
	interval_seconds BIGINT NOT NULL DEFAULT 3600,
	openpgp_key      TEXT NOT NULL DEFAULT '',
	last_sync_at     BIGINT,
	last_success_at  BIGINT,
	last_cursor      BIGINT,
	last_error       TEXT NOT NULL DEFAULT '',
	last_doc_errors  TEXT NOT NULL DEFAULT '[]',
	last_counts      TEXT NOT NULL DEFAULT '{}',
	documents_seen   BIGINT NOT NULL DEFAULT 0,
	next_sync_at     BIGINT NOT NULL DEFAULT 0,
	claimed_by       TEXT NOT NULL DEFAULT '',
	claimed_until    BIGINT NOT NULL DEFAULT 0,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX feed_sources_url ON feed_sources (url);
CREATE INDEX feed_sources_due ON feed_sources (enabled, next_sync_at);

CREATE TABLE org_settings (
	org_id      BIGINT PRIMARY KEY REFERENCES orgs (id),
	webhook_url TEXT NOT NULL DEFAULT '',
	updated_at  BIGINT NOT NULL
);
