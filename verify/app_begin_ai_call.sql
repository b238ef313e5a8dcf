-- Verify taproot:app_begin_ai_call on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated',
    'app.begin_ai_call(uuid, text, text, bigint, integer, uuid, interval)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('authenticated', 'app.hold_budget(uuid, uuid, bigint, uuid, interval)',
                                       'execute'))::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.reserve_budget(uuid, uuid, bigint, uuid, interval)'::regprocedure)
            LIKE '%app.hold_budget(%')::int;

ROLLBACK;
