-- Revert taproot:api_workspaces from pg
BEGIN;

DROP TABLE api.workspaces;

COMMIT;
