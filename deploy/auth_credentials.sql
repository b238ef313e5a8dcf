-- Deploy taproot:auth_credentials to pg
-- requires: auth_schema, api_users, extensions, app_touch_updated_at
-- Passwords (bcrypt), login sessions, refresh tokens (stored as SHA-256 digests) and login
-- attempts (for throttling). No client role has any privilege here.
BEGIN;

CREATE TABLE auth.credentials (
    user_id       uuid PRIMARY KEY REFERENCES api.users (id) ON DELETE CASCADE,
    password_hash text NOT NULL
        CONSTRAINT credentials_password_hash_bcrypt CHECK (password_hash ~ '^\$2[abxy]\$[0-9]{2}\$'),
    status        text NOT NULL DEFAULT 'active'
        CONSTRAINT credentials_status_known CHECK (status IN ('active', 'disabled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE auth.credentials IS 'bcrypt password hashes (cost 10 or more) and account status';

CREATE TABLE auth.sessions (
    id             uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES api.users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    refreshed_at   timestamptz,
    revoked_at     timestamptz,
    revoked_reason text
);
COMMENT ON TABLE auth.sessions IS 'One row per login; logout or refresh-token reuse revokes it';
CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);

CREATE TABLE auth.refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT now() + interval '30 days',
    used_at    timestamptz
);
COMMENT ON TABLE auth.refresh_tokens IS
    'Opaque single-use refresh tokens (SHA-256 of the token); a spent token used again revokes its session';
CREATE INDEX refresh_tokens_session_id_idx ON auth.refresh_tokens (session_id);

CREATE TABLE auth.login_attempts (
    id           bigserial PRIMARY KEY,
    email        extensions.citext NOT NULL,
    succeeded    boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE auth.login_attempts IS 'Login attempts by email, for throttling repeated failures';
CREATE INDEX login_attempts_email_attempted_at_idx ON auth.login_attempts (email, attempted_at);

CREATE TRIGGER credentials_touch_updated_at BEFORE UPDATE ON auth.credentials
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE auth.credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.credentials FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.refresh_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.login_attempts FORCE ROW LEVEL SECURITY;
REVOKE ALL ON auth.credentials, auth.sessions, auth.refresh_tokens, auth.login_attempts FROM PUBLIC;

COMMIT;
