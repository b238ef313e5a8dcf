-- Verify taproot:api_ai_requests_version_workspace on pg
BEGIN;

SELECT 1 / (pg_catalog.pg_get_functiondef('app.prepare_ai_request()'::regprocedure)
            LIKE '%IF NEW.workspace_id <> version_workspace THEN%')::int;

ROLLBACK;
