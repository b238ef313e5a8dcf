-- Deploy taproot:reporting_analyst_grants to pg
-- requires: reporting_schema
-- default_transaction_read_only is only a default: an analyst may SET it off (or BEGIN READ
-- WRITE). Their grants are read-only, except TEMPORARY on the database, which PUBLIC holds by
-- default: an analyst could create temporary tables and functions. Take it from PUBLIC and
-- give it back to the roles the gateway, sidecar and workers run as.
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO authenticator, anon, authenticated, service_role, worker',
                              pg_catalog.current_database());
END
$$;

COMMIT;
