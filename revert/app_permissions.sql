-- Revert taproot:app_permissions from pg
BEGIN;

DROP FUNCTION app.is_admin_somewhere();
DROP FUNCTION app.co_member_ids();
DROP FUNCTION app.has_workspace_role(uuid, text[]);
DROP FUNCTION app.my_workspace_ids(text[]);
DROP FUNCTION app.my_workspace_ids();

COMMIT;
