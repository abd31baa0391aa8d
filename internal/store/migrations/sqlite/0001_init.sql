-- Foundation: organisations, users, sessions, API tokens, hash-chained audit log, outbox.
CREATE TABLE orgs (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	kind         TEXT NOT NULL CHECK (kind IN ('csirt', 'member', 'supplier', 'authority')),
	require_totp BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL
);
-- Exactly one CSIRT per deployment.
CREATE UNIQUE INDEX orgs_one_csirt ON orgs (kind) WHERE kind = 'csirt';

CREATE TABLE users (
	id                   INTEGER PRIMARY KEY,
	org_id               BIGINT NOT NULL REFERENCES orgs (id),
	email                TEXT NOT NULL,
	name                 TEXT NOT NULL DEFAULT '',
	role                 TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
	password_hash        TEXT NOT NULL,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	totp_secret          TEXT NOT NULL DEFAULT '',
	totp_enabled         BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_step       BIGINT NOT NULL DEFAULT 0,
	disabled             BOOLEAN NOT NULL DEFAULT FALSE,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	last_login_at        BIGINT
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_org ON users (org_id, id);

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT NOT NULL,
	mfa_pending  BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL REFERENCES orgs (id),
	user_id      BIGINT NOT NULL REFERENCES users (id),
	name         TEXT NOT NULL,
	role         TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
	prefix       TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	revoked_at   BIGINT,
	last_used_at BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

CREATE TABLE audit_log (
	id          BIGINT PRIMARY KEY,
	at          BIGINT NOT NULL,
	org_id      BIGINT NOT NULL DEFAULT 0,
	actor_id    BIGINT NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	summary     TEXT NOT NULL,
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);

-- One row: the newest audit entry. Appends update it in the writing
-- transaction, which serialises appends (a row lock on PostgreSQL) and lets
-- verification notice rows removed from the end of the log.
CREATE TABLE audit_head (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	last_id   BIGINT NOT NULL,
	last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	org_id       BIGINT NOT NULL DEFAULT 0,
	channel      TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
	recipient    TEXT NOT NULL,
	subject      TEXT NOT NULL DEFAULT '',
	body         TEXT NOT NULL,
	dedup_key    TEXT NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	next_try_at  BIGINT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	sent_at      BIGINT,
	claimed_by   TEXT NOT NULL DEFAULT '',
	claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (sent_at, next_try_at);
