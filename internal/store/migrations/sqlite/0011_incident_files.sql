-- Files attached to incidents (logs, screenshots, packet captures, the
-- authority's acknowledgement). The content lives in its own table, never
-- in the incident row, so listing incidents never reads megabytes of data;
-- the metadata columns are read without the content for lists.
CREATE TABLE incident_attachments (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL REFERENCES orgs (id),
	incident_id  BIGINT NOT NULL REFERENCES incidents (id),
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	uploaded_by  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	data         BLOB NOT NULL
);
CREATE INDEX incident_attachments_incident ON incident_attachments (org_id, incident_id, id);
