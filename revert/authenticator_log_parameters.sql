-- Revert taproot:authenticator_log_parameters from pg
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER ROLE authenticator IN DATABASE %I RESET log_parameter_max_length',
                              pg_catalog.current_database());
    EXECUTE pg_catalog.format('ALTER ROLE authenticator IN DATABASE %I RESET log_parameter_max_length_on_error',
                              pg_catalog.current_database());
END
$$;

COMMIT;
