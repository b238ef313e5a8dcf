-- Deploy taproot:extensions to pg
-- Extensions live in their own schema so that no exposed schema grows their objects.
BEGIN;

CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role, worker, analyst;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions;
-- Needs shared_preload_libraries = pg_stat_statements to report; creating it is harmless otherwise.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;

-- Functions are executable by PUBLIC by default; Taproot grants EXECUTE explicitly, so
-- that anon can call only what it is given (signup, login, refresh).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

COMMIT;
