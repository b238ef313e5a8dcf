-- Deploy taproot:role_statement_timeouts to pg
-- requires: ratelimit_check
-- A statement timeout per client role, as PostgREST applies an impersonated role's
-- settings inside each request's transaction: anonymous requests get 5 s, signed-in ones
-- 10 s (authenticator's own session keeps its 15 s from the bootstrap, a backstop for
-- every role). In this database only, so other databases of the cluster are untouched.
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER ROLE anon IN DATABASE %I SET statement_timeout = %L',
                              pg_catalog.current_database(), '5s');
    EXECUTE pg_catalog.format('ALTER ROLE authenticated IN DATABASE %I SET statement_timeout = %L',
                              pg_catalog.current_database(), '10s');
END
$$;

COMMIT;
