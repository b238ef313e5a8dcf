-- Revert taproot:reporting_analyst_grants from pg
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM authenticator, anon, authenticated, service_role, worker',
                              pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', pg_catalog.current_database());
END
$$;

COMMIT;
