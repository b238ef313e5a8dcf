-- Helpers for pgTAP tests, loaded into the test database before pg_prove runs.
-- authenticate_as() sets the role and request.jwt.claims exactly as the gateway does,
-- so that RLS tests exercise the real mechanism. Not a sqitch change: never deployed.
CREATE SCHEMA IF NOT EXISTS tests;
GRANT USAGE ON SCHEMA tests TO PUBLIC;

CREATE OR REPLACE FUNCTION tests.authenticate_as(role_name text, claims jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('request.jwt.claims',
                       (claims || jsonb_build_object('role', role_name))::text, true);
    PERFORM set_config('role', role_name, true);
END
$$;

CREATE OR REPLACE FUNCTION tests.clear_authentication()
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('role', 'none', true);
    PERFORM set_config('request.jwt.claims', '', true);
END
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tests TO PUBLIC;
