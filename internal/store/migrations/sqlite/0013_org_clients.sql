-- The organisation that serves this one as its client (a clinic run by a
-- hospital group, a member served by a regional IT provider): TLP:AMBER
-- addressed to the serving organisation reaches its clients too. NULL: no
-- modelled parent. Members and suppliers are implicitly clients of the
-- sector CSIRT; that is not stored here.
ALTER TABLE orgs ADD COLUMN client_of BIGINT REFERENCES orgs (id);
CREATE INDEX orgs_client_of ON orgs (client_of);
