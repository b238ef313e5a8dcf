-- Revert taproot:app_validation_messages from pg
BEGIN;

DROP TRIGGER provider_secrets_check_input ON app.provider_secrets;
DROP TRIGGER api_keys_check_input ON app.api_keys;
DROP TRIGGER ai_routes_check_input ON api.ai_routes;
DROP TRIGGER ai_requests_check_input ON api.ai_requests;
DROP TRIGGER prompt_versions_check_input ON api.prompt_versions;
DROP TRIGGER prompts_check_in_use ON api.prompts;
DROP TRIGGER prompts_check_input ON api.prompts;
DROP TRIGGER documents_check_input ON api.documents;
DROP TRIGGER memberships_check_input ON api.memberships;
DROP TRIGGER workspaces_check_input ON api.workspaces;
DROP TRIGGER users_check_input ON api.users;

DROP FUNCTION app.validate_provider_secret();
DROP FUNCTION app.validate_api_key();
DROP FUNCTION app.validate_ai_route();
DROP FUNCTION app.validate_ai_request();
DROP FUNCTION app.validate_prompt_version();
DROP FUNCTION app.explain_prompt_in_use();
DROP FUNCTION app.validate_prompt();
DROP FUNCTION app.validate_document();
DROP FUNCTION app.validate_membership();
DROP FUNCTION app.validate_workspace();
DROP FUNCTION app.validate_user();
DROP FUNCTION app.require_workspace(text, uuid);
DROP FUNCTION app.may_learn_conflicts(uuid, text[]);
DROP FUNCTION app.require_one_of(text, text, text[]);
DROP FUNCTION app.require_identifier(text, text);
DROP FUNCTION app.require_json_object(text, jsonb);
DROP FUNCTION app.require_at_least(text, numeric, numeric, boolean, text);
DROP FUNCTION app.require_text(text, text, integer, integer, boolean, boolean);

COMMIT;
