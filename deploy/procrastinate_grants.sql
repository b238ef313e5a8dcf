-- Deploy taproot:procrastinate_grants to pg
-- requires: procrastinate_schema
-- The worker role runs the queue: it reads and writes Procrastinate's tables and calls its
-- functions. Client roles get nothing here: they enqueue only through api functions that
-- call the SECURITY DEFINER wrapper app.defer_job. The worker's connections put
-- procrastinate first on search_path (Procrastinate's SQL is unqualified); the role setting
-- below does the same for a worker that logs in directly.
BEGIN;

GRANT USAGE ON SCHEMA procrastinate TO worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA procrastinate TO worker;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA procrastinate TO worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA procrastinate TO worker;
ALTER ROLE worker SET search_path = procrastinate, pg_catalog;

COMMIT;
