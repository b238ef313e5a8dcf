-- Revert taproot:role_statement_timeouts from pg
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER ROLE anon IN DATABASE %I RESET statement_timeout',
                              pg_catalog.current_database());
    EXECUTE pg_catalog.format('ALTER ROLE authenticated IN DATABASE %I RESET statement_timeout',
                              pg_catalog.current_database());
END
$$;

COMMIT;
