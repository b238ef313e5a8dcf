-- Deploy taproot:authenticator_log_parameters to pg
-- requires: api_auth, app_provider_secrets
-- The server logs statements slower than log_min_duration_statement (1s) together with their
-- bind parameters, in full by default. Through authenticator those are passwords (signup,
-- login, change_password), provider secrets (set_provider_secret) and app.secrets_key itself
-- (set_config). Never log parameter values for authenticator's sessions in this database;
-- the setting is superuser-only, so a session cannot turn it back on.
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER ROLE authenticator IN DATABASE %I SET log_parameter_max_length = 0',
                              pg_catalog.current_database());
    EXECUTE pg_catalog.format('ALTER ROLE authenticator IN DATABASE %I SET log_parameter_max_length_on_error = 0',
                              pg_catalog.current_database());
END
$$;

COMMIT;
