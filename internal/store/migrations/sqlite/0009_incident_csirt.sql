-- Incidents and the CSIRT: an incident is visible to the CSIRT only once it
-- is shared (a member's choice, or automatically when a NIS2 report applies);
-- the CSIRT advises on it, links related incidents across members and marks
-- duplicates. shared_with_csirt is sticky: once reported, always shared.
ALTER TABLE incidents ADD COLUMN shared_with_csirt BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN shared_at BIGINT;
ALTER TABLE incidents ADD COLUMN duplicate_of BIGINT;
CREATE INDEX incidents_shared ON incidents (shared_with_csirt, id);

-- CSIRT advice is kept apart from the member's own comments so that it is
-- always marked as the CSIRT's and can never be edited by the member.
CREATE TABLE incident_advice (
	id          INTEGER PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	at          BIGINT NOT NULL,
	author      TEXT NOT NULL,
	text        TEXT NOT NULL
);
CREATE INDEX incident_advice_incident ON incident_advice (incident_id, id);

-- A link is stored once per side (incident_id, related_id) so that each
-- member's reads stay scoped by its own org_id.
CREATE TABLE incident_links (
	id             INTEGER PRIMARY KEY,
	org_id         BIGINT NOT NULL REFERENCES orgs (id),
	incident_id    BIGINT NOT NULL REFERENCES incidents (id),
	related_org_id BIGINT NOT NULL REFERENCES orgs (id),
	related_id     BIGINT NOT NULL REFERENCES incidents (id),
	reason         TEXT NOT NULL DEFAULT '',
	created_by     TEXT NOT NULL,
	created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX incident_links_pair ON incident_links (incident_id, related_id);
