-- Verify taproot:procrastinate_grants on pg
BEGIN;

DO $$
BEGIN
    IF NOT has_table_privilege('worker', 'procrastinate.procrastinate_jobs', 'SELECT, INSERT, UPDATE, DELETE')
       OR NOT has_function_privilege('worker', 'procrastinate.procrastinate_fetch_job_v2(character varying[], bigint)', 'EXECUTE') THEN
        RAISE EXCEPTION 'worker cannot run the queue';
    END IF;
    IF has_schema_privilege('authenticated', 'procrastinate', 'USAGE') OR has_schema_privilege('anon', 'procrastinate', 'USAGE') THEN
        RAISE EXCEPTION 'client roles must not reach the queue schema';
    END IF;
END
$$;

ROLLBACK;
