-- CycloneDX SBOMs attached to a device model of an organisation: every
-- device with that normalised manufacturer and model (and version, when the
-- SBOM names one) inherits the components. One SBOM per model and version;
-- uploading again replaces it. Components get a table of their own so that
-- matching can look them up by purl or CPE.
CREATE TABLE sboms (
	id                INTEGER PRIMARY KEY,
	org_id            BIGINT NOT NULL REFERENCES orgs (id),
	manufacturer      TEXT NOT NULL,
	manufacturer_norm TEXT NOT NULL,
	model             TEXT NOT NULL,
	model_key         TEXT NOT NULL,
	version           TEXT NOT NULL DEFAULT '',
	format            TEXT NOT NULL,
	spec              TEXT NOT NULL DEFAULT '',
	serial            TEXT NOT NULL DEFAULT '',
	doc_version       BIGINT NOT NULL DEFAULT 1,
	file_name         TEXT NOT NULL DEFAULT '',
	component_count   BIGINT NOT NULL DEFAULT 0,
	uploaded_by       TEXT NOT NULL DEFAULT '',
	uploaded_at       BIGINT NOT NULL
);
-- model_key: folded normalised manufacturer and model (see modelKey).
CREATE UNIQUE INDEX sboms_org_model ON sboms (org_id, model_key, version);

CREATE TABLE sbom_components (
	id      INTEGER PRIMARY KEY,
	org_id  BIGINT NOT NULL REFERENCES orgs (id),
	sbom_id BIGINT NOT NULL REFERENCES sboms (id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	purl    TEXT NOT NULL DEFAULT '',
	cpe     TEXT NOT NULL DEFAULT '',
	type    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sbom_components_sbom ON sbom_components (sbom_id, id);
CREATE INDEX sbom_components_org_purl ON sbom_components (org_id, purl);
