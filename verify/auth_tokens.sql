-- Verify taproot:auth_tokens on pg
BEGIN;

SELECT 'auth.issue_tokens(uuid, uuid)'::regprocedure, 'auth.start_session(uuid)'::regprocedure;
SELECT 1 / (NOT has_function_privilege('anon', 'auth.start_session(uuid)', 'execute'))::int;

ROLLBACK;
