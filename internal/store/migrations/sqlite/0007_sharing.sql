-- Sharing within the sector: incident observables an organisation marked
-- shareable (with the TLP it chose), intelligence imported from MISP feeds
-- and TAXII servers, and the status resources of TAXII POSTs.
CREATE TABLE shared_observables (
	id            INTEGER PRIMARY KEY,
	org_id        BIGINT NOT NULL REFERENCES orgs (id),
	incident_id   BIGINT NOT NULL REFERENCES incidents (id),
	observable_id BIGINT NOT NULL REFERENCES incident_observables (id),
	tlp           TEXT NOT NULL,
	-- The organisation an AMBER/AMBER+STRICT observable is addressed to
	-- (NULL: no one beyond the community the label allows).
	addressed_org BIGINT REFERENCES orgs (id),
	shared_by     TEXT NOT NULL DEFAULT '',
	shared_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX shared_observables_key ON shared_observables (org_id, observable_id);
CREATE INDEX shared_observables_added ON shared_observables (shared_at, id);

-- One row per version of an imported object: a STIX object (format stix)
-- or a MISP event (format misp). org_id is the organisation that imported
-- or contributed it; collection the TAXII collection it was posted to ('' for
-- pulls and feed imports).
CREATE TABLE intel (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	format      TEXT NOT NULL CHECK (format IN ('stix', 'misp')),
	source      TEXT NOT NULL DEFAULT '',
	collection  TEXT NOT NULL DEFAULT '',
	object_id   TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	version     BIGINT NOT NULL,
	spec_version TEXT NOT NULL DEFAULT '',
	tlp         TEXT NOT NULL,
	body        TEXT NOT NULL,
	date_added  BIGINT NOT NULL
);
CREATE UNIQUE INDEX intel_key ON intel (org_id, object_id, version);
CREATE INDEX intel_added ON intel (date_added, id);

CREATE TABLE taxii_status (
	id         TEXT PRIMARY KEY,
	org_id     BIGINT NOT NULL REFERENCES orgs (id),
	body       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX taxii_status_org ON taxii_status (org_id, created_at);

-- The exporters' cache stamp reads max(updated_at) of advisories on every
-- feed or TAXII request; without an index that is a scan of every document.
CREATE INDEX advisories_updated ON advisories (updated_at);
