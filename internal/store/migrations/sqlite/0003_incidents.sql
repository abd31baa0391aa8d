-- Incidents: the record, its regulatory obligations (NIS2/GDPR/MDR), an
-- append-only timeline, tasks, observables and comments. Structured parts
-- of the record (impact on care, personal data, assessment, device ids) are
-- JSON text: they are read and written whole, never queried inside.
CREATE TABLE incidents (
	id                   INTEGER PRIMARY KEY,
	org_id               BIGINT NOT NULL REFERENCES orgs (id),
	title                TEXT NOT NULL,
	description          TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL CHECK (status IN ('new', 'triage', 'containment', 'eradication', 'recovery', 'closed')),
	outcome              TEXT NOT NULL DEFAULT '',
	severity             TEXT NOT NULL DEFAULT '',
	tlp                  TEXT NOT NULL DEFAULT '',
	reporter             TEXT NOT NULL DEFAULT '',
	time_zone            TEXT NOT NULL DEFAULT '',
	detected_at          BIGINT,
	aware_at             BIGINT NOT NULL,
	handled_at           BIGINT,
	rsit_class           TEXT NOT NULL DEFAULT '',
	rsit_type            TEXT NOT NULL DEFAULT '',
	suspected_malicious  TEXT NOT NULL DEFAULT '',
	cross_border         TEXT NOT NULL DEFAULT '',
	patient_safety       TEXT NOT NULL DEFAULT '',
	impact_on_care       TEXT NOT NULL DEFAULT '{}',
	personal_data        TEXT NOT NULL DEFAULT '',
	assessment           TEXT NOT NULL DEFAULT '{}',
	root_cause           TEXT NOT NULL DEFAULT '',
	mitigation           TEXT NOT NULL DEFAULT '',
	contact_point        TEXT NOT NULL DEFAULT '',
	device_ids           TEXT NOT NULL DEFAULT '[]',
	created_by           TEXT NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL
);
CREATE INDEX incidents_org ON incidents (org_id, id);
CREATE INDEX incidents_org_status ON incidents (org_id, status, id);

-- One row per (incident, regime, stage), rewritten on every reassessment;
-- a submitted row keeps its submission. status is as of the last write: the
-- store recomputes pending/late at read time, so no job is needed for a
-- deadline to pass. Every query of this table and of the other child
-- tables names incident_id, so the (incident_id, …) indexes serve them; an
-- index led by org_id would tempt SQLite's planner into scanning the whole
-- organisation.
CREATE TABLE incident_obligations (
	id                   INTEGER PRIMARY KEY,
	org_id               BIGINT NOT NULL REFERENCES orgs (id),
	incident_id          BIGINT NOT NULL REFERENCES incidents (id),
	regime               TEXT NOT NULL,
	stage                TEXT NOT NULL,
	title                TEXT NOT NULL DEFAULT '',
	article              TEXT NOT NULL DEFAULT '',
	due_at               BIGINT,
	status               TEXT NOT NULL CHECK (status IN ('pending', 'late', 'submitted', 'not_applicable')),
	basis                TEXT NOT NULL DEFAULT '',
	requires_late_reason BOOLEAN NOT NULL DEFAULT FALSE,
	submitted_at         BIGINT,
	submitted_by         TEXT NOT NULL DEFAULT '',
	snapshot             TEXT NOT NULL DEFAULT '',
	late_reason          TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX incident_obligations_key ON incident_obligations (incident_id, regime, stage);

CREATE TABLE incident_timeline (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	seq         INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL
);
CREATE UNIQUE INDEX incident_timeline_seq ON incident_timeline (incident_id, seq);

CREATE TABLE incident_tasks (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	title       TEXT NOT NULL,
	assignee    TEXT NOT NULL DEFAULT '',
	due_at      BIGINT,
	status      TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

CREATE TABLE incident_observables (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX incident_observables_value ON incident_observables (incident_id, kind, value);

CREATE TABLE incident_comments (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	at          BIGINT NOT NULL,
	author      TEXT NOT NULL,
	text        TEXT NOT NULL
);
CREATE INDEX incident_comments_incident ON incident_comments (incident_id, id);
