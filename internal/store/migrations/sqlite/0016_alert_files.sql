-- Files the CSIRT attaches to its alerts (indicator lists, the vendor's
-- bulletin, screenshots of a fix). org_id is the CSIRT
-- organisation that wrote the alert; who may read a file is whoever may
-- read its alert, which the store decides through the alert. As for
-- incident files, the content lives in this table only and lists read the
-- metadata columns without it.
CREATE TABLE alert_attachments (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL REFERENCES orgs (id),
	alert_id     BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	uploaded_by  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	data         BLOB NOT NULL
);
CREATE INDEX alert_attachments_alert ON alert_attachments (org_id, alert_id, id);
