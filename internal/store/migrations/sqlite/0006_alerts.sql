-- CSIRT alerts to member organisations: the alert itself (TLP-labelled,
-- optionally from an advisory) and one row per recipient organisation with
-- its delivery, acknowledgement and chase history. Recipient rows carry the
-- tenant first in their index: a member reads only its own rows.
CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	advisory_id BIGINT REFERENCES advisories (id) ON DELETE SET NULL,
	title       TEXT NOT NULL,
	summary     TEXT NOT NULL DEFAULT '',
	actions     TEXT NOT NULL DEFAULT '',
	tlp         TEXT NOT NULL,
	audience    TEXT NOT NULL CHECK (audience IN ('affected', 'chosen', 'all')),
	deadline    BIGINT,
	created_by  TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX alerts_org ON alerts (org_id, id);

CREATE TABLE alert_recipients (
	alert_id       BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	org_id         BIGINT NOT NULL REFERENCES orgs (id),
	delivered_at   BIGINT NOT NULL,
	status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'not_applicable', 'in_progress', 'done')),
	note           TEXT NOT NULL DEFAULT '',
	acked_by       TEXT NOT NULL DEFAULT '',
	acked_at       BIGINT,
	status_at      BIGINT,
	chases         INTEGER NOT NULL DEFAULT 0,
	last_chased_at BIGINT,
	PRIMARY KEY (alert_id, org_id)
);
CREATE INDEX alert_recipients_org ON alert_recipients (org_id, alert_id);
