-- Advisories the CSIRT writes itself. A row is the analyst's draft (the
-- share.Draft as JSON) and, once published, the link to the stored advisory
-- it became. state says whether the draft text holds changes not yet
-- published; version counts the publications (the CSAF revision). The
-- tracking id is allocated at the first publication and never changes.
CREATE TABLE advisory_drafts (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL REFERENCES orgs (id),
	tracking_id  TEXT,
	state        TEXT NOT NULL CHECK (state IN ('draft', 'published')),
	version      INTEGER NOT NULL DEFAULT 0,
	title        TEXT NOT NULL DEFAULT '',
	tlp          TEXT NOT NULL DEFAULT '',
	draft        TEXT NOT NULL,
	revisions    TEXT NOT NULL DEFAULT '[]',
	advisory_id  BIGINT REFERENCES advisories (id) ON DELETE SET NULL,
	created_by   TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_by   TEXT NOT NULL,
	updated_at   BIGINT NOT NULL,
	published_by TEXT NOT NULL DEFAULT '',
	published_at BIGINT
);
CREATE UNIQUE INDEX advisory_drafts_tracking ON advisory_drafts (tracking_id);
CREATE INDEX advisory_drafts_org ON advisory_drafts (org_id, updated_at, id);

-- The last number handed out per tracking id prefix and year
-- ("<PREFIX>-<YEAR>-<NNNN>"); one upsert allocates the next one, so two
-- analysts publishing at once never get the same id.
CREATE TABLE advisory_tracking_seq (
	prefix      TEXT NOT NULL,
	year        INTEGER NOT NULL,
	last_number BIGINT NOT NULL,
	PRIMARY KEY (prefix, year)
);
