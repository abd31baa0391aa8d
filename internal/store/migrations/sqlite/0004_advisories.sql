-- Advisories (global, ingested by the CSIRT), the CISA KEV catalogue,
-- findings (device × advisory × vulnerability, per organisation) and the
-- organisations' remembered review decisions.
CREATE TABLE advisories (
	id              INTEGER PRIMARY KEY,
	tracking_id     TEXT NOT NULL,
	title           TEXT NOT NULL DEFAULT '',
	publisher       TEXT NOT NULL DEFAULT '',
	tlp             TEXT NOT NULL DEFAULT '',
	initial_release BIGINT,
	current_release BIGINT,
	revision        TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT '',
	sha256          TEXT NOT NULL DEFAULT '',
	source          TEXT NOT NULL DEFAULT '',
	cves            TEXT NOT NULL DEFAULT '[]',
	doc             TEXT NOT NULL,
	warnings        TEXT NOT NULL DEFAULT '[]',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX advisories_tracking ON advisories (tracking_id);
CREATE INDEX advisories_release ON advisories (current_release, id);

CREATE TABLE kev (
	cve            TEXT PRIMARY KEY,
	vendor_project TEXT NOT NULL DEFAULT '',
	product        TEXT NOT NULL DEFAULT '',
	name           TEXT NOT NULL DEFAULT '',
	date_added     BIGINT NOT NULL,
	due_date       BIGINT,
	ransomware     BOOLEAN NOT NULL DEFAULT FALSE,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE findings (
	id                INTEGER PRIMARY KEY,
	org_id            BIGINT NOT NULL REFERENCES orgs (id),
	device_id         BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	advisory_id       BIGINT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	vuln_key          TEXT NOT NULL,
	status            TEXT NOT NULL,
	confidence        DOUBLE PRECISION NOT NULL DEFAULT 0,
	reason            TEXT NOT NULL DEFAULT '',
	product_id        TEXT NOT NULL DEFAULT '',
	product_key       TEXT NOT NULL DEFAULT '',
	product_name      TEXT NOT NULL DEFAULT '',
	manufacturer_norm TEXT NOT NULL DEFAULT '',
	model             TEXT NOT NULL DEFAULT '',
	remediations      TEXT NOT NULL DEFAULT '[]',
	vendor_fix        BOOLEAN NOT NULL DEFAULT FALSE,
	ssvc_base         TEXT NOT NULL DEFAULT '{}',
	ssvc_overrides    TEXT NOT NULL DEFAULT '{}',
	ssvc              TEXT NOT NULL DEFAULT '{}',
	ssvc_decision     TEXT NOT NULL DEFAULT '',
	ssvc_rank         INTEGER NOT NULL DEFAULT -1,
	match_hash        TEXT NOT NULL DEFAULT '',
	state             TEXT NOT NULL DEFAULT 'open',
	state_note        TEXT NOT NULL DEFAULT '',
	approver          TEXT NOT NULL DEFAULT '',
	accepted_until    BIGINT,
	state_by          TEXT NOT NULL DEFAULT '',
	state_at          BIGINT,
	auto_closed       BOOLEAN NOT NULL DEFAULT FALSE,
	first_seen        BIGINT NOT NULL,
	last_matched      BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
-- The tenant first in every index: every read is scoped by org_id.
CREATE UNIQUE INDEX findings_key ON findings (org_id, device_id, advisory_id, vuln_key);
CREATE INDEX findings_org_advisory ON findings (org_id, advisory_id, id);
CREATE INDEX findings_org_state ON findings (org_id, state, ssvc_rank, id);
CREATE INDEX findings_org_review ON findings (org_id, manufacturer_norm, model, product_key);
CREATE INDEX findings_advisory ON findings (advisory_id);
CREATE INDEX findings_device ON findings (device_id);

CREATE TABLE review_decisions (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL REFERENCES orgs (id),
	manufacturer TEXT NOT NULL,
	model        TEXT NOT NULL,
	product_key  TEXT NOT NULL,
	confirmed    BOOLEAN NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	decided_by   TEXT NOT NULL DEFAULT '',
	decided_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX review_decisions_key ON review_decisions (org_id, manufacturer, model, product_key);
