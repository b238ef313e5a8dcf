-- Deploy taproot:api_users to pg
-- requires: api_schema, app_email_domain, app_request_context, app_touch_updated_at, app_audit_log
-- Profiles. A row without credentials in auth.credentials is an invited user, who claims
-- the account by signing up with the same email.
BEGIN;

CREATE TABLE api.users (
    id         uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    email      app.email_address NOT NULL CONSTRAINT users_email_key UNIQUE,
    name       text NOT NULL
        CONSTRAINT users_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    invited_by uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE api.users IS
    'User profiles: you see yourself, people you invited and people sharing a workspace with you';
COMMENT ON COLUMN api.users.email IS 'Unique, case-insensitive';
COMMENT ON COLUMN api.users.invited_by IS 'The admin who created this profile (NULL for sign-ups)';
CREATE INDEX users_invited_by_idx ON api.users (invited_by);

-- Emails compare case-insensitively anyway; storing them lower-cased also keeps filters
-- right for clients whose search_path lacks citext's operators.
CREATE FUNCTION app.normalize_user_email()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    NEW.email := pg_catalog.lower(pg_catalog.btrim(NEW.email::text));
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.normalize_user_email() IS 'BEFORE trigger: store emails trimmed and lower-cased';
CREATE TRIGGER users_normalize_email BEFORE INSERT OR UPDATE OF email ON api.users
    FOR EACH ROW EXECUTE FUNCTION app.normalize_user_email();
CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON api.users
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER users_audit AFTER INSERT OR DELETE ON api.users
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('id', 'email', 'invited_by');

COMMIT;
