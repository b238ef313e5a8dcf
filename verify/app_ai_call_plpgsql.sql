-- Verify taproot:app_ai_call_plpgsql on pg
BEGIN;

-- The hot helpers run in PL/pgSQL (their plans are kept for the session).
SELECT 1 / (SELECT count(*) FILTER (WHERE l.lanname = 'plpgsql') = 3
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
            WHERE p.oid IN ('app.current_api_key_id()'::regprocedure, 'app.may_run_ai(uuid)'::regprocedure,
                            'app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint)'::regprocedure))::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.begin_ai_call(uuid, text, text, bigint, integer, uuid, interval)'::regprocedure)
            NOT LIKE '%app.has_workspace_role(%')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.may_run_ai(uuid)', 'execute')::int;

ROLLBACK;
