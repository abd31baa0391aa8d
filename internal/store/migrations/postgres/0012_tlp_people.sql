-- The named persons of TLP:RED objects. FIRST TLP 2.0 gives TLP:RED to
-- named recipients, never to an organisation as such: a RED alert reaches
-- the users the CSIRT named (its recipient organisations are exactly
-- theirs), a member's RED incident shared with the CSIRT reaches the CSIRT
-- users the member named. One table for both kinds, read by one loader in
-- the store. The index serves "what was I named on" by user.
CREATE TABLE tlp_people (
	object_type TEXT NOT NULL CHECK (object_type IN ('alert', 'incident')),
	object_id   BIGINT NOT NULL,
	user_id     BIGINT NOT NULL REFERENCES users (id),
	PRIMARY KEY (object_type, object_id, user_id)
);
CREATE INDEX tlp_people_user ON tlp_people (user_id, object_type);
