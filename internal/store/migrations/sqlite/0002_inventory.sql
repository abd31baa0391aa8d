-- Device inventory: devices, manufacturer aliases, saved CMMS import
-- mappings and uploads held between an import's preview and its commit.
CREATE TABLE devices (
	id                INTEGER PRIMARY KEY,
	org_id            BIGINT NOT NULL REFERENCES orgs (id),
	asset_tag         TEXT NOT NULL,
	manufacturer      TEXT NOT NULL,
	manufacturer_norm TEXT NOT NULL,
	model             TEXT NOT NULL,
	version           TEXT NOT NULL DEFAULT '',
	serial_number     TEXT NOT NULL DEFAULT '',
	udi_di            TEXT NOT NULL DEFAULT '',
	device_type       TEXT NOT NULL DEFAULT '',
	department        TEXT NOT NULL DEFAULT '',
	location          TEXT NOT NULL DEFAULT '',
	ip_addresses      TEXT NOT NULL DEFAULT '[]',
	mac_addresses     TEXT NOT NULL DEFAULT '[]',
	hostname          TEXT NOT NULL DEFAULT '',
	operating_system  TEXT NOT NULL DEFAULT '',
	network_zone      TEXT NOT NULL DEFAULT '',
	clinical_function TEXT NOT NULL DEFAULT '',
	safety_impact     TEXT NOT NULL DEFAULT '',
	support_status    TEXT NOT NULL DEFAULT '',
	end_of_support    BIGINT,
	end_of_life       BIGINT,
	patchable         BOOLEAN,
	owner             TEXT NOT NULL DEFAULT '',
	tags              TEXT NOT NULL DEFAULT '[]',
	notes             TEXT NOT NULL DEFAULT '',
	extra             TEXT NOT NULL DEFAULT '{}',
	search_text       TEXT NOT NULL DEFAULT '',
	content_hash      TEXT NOT NULL DEFAULT '',
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	last_seen_at      BIGINT
);
-- Every list filter and sort order is one index beginning with the tenant,
-- ending with id, so keyset pagination reads only the rows of a page.
CREATE UNIQUE INDEX devices_org_tag ON devices (org_id, asset_tag);
CREATE INDEX devices_org_mfr ON devices (org_id, manufacturer_norm, id);
CREATE INDEX devices_org_model ON devices (org_id, model, id);
CREATE INDEX devices_org_dept ON devices (org_id, department, id);
CREATE INDEX devices_org_zone ON devices (org_id, network_zone, id);
CREATE INDEX devices_org_function ON devices (org_id, clinical_function, id);
CREATE INDEX devices_org_support ON devices (org_id, support_status, id);
CREATE INDEX devices_org_updated ON devices (org_id, updated_at, id);

-- Deployment-wide manufacturer aliases added by the CSIRT's administrators
-- on top of the built-in table.
CREATE TABLE manufacturer_aliases (
	id         INTEGER PRIMARY KEY,
	canonical  TEXT NOT NULL,
	alias      TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX manufacturer_aliases_alias ON manufacturer_aliases (lower(alias));

-- Saved column mappings of an organisation's CMMS exports.
CREATE TABLE import_mappings (
	id         INTEGER PRIMARY KEY,
	org_id     BIGINT NOT NULL REFERENCES orgs (id),
	name       TEXT NOT NULL,
	mapping    TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX import_mappings_org_name ON import_mappings (org_id, name);

-- An uploaded file between the import preview and its commit; bound to the
-- uploading user, purged after an hour. Held in the database (not a temp
-- file) so that any node behind a load balancer can commit it.
CREATE TABLE import_uploads (
	id         TEXT PRIMARY KEY,
	org_id     BIGINT NOT NULL REFERENCES orgs (id),
	user_id    BIGINT NOT NULL,
	file_name  TEXT NOT NULL,
	data       BLOB NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX import_uploads_created ON import_uploads (created_at);
