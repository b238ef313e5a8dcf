-- Verify taproot:app_validation_messages on pg
BEGIN;

SELECT 1 / (count(*) = 11)::int FROM pg_catalog.pg_trigger
WHERE NOT tgisinternal
  AND tgname IN ('users_check_input', 'workspaces_check_input', 'memberships_check_input',
                 'documents_check_input', 'prompts_check_input', 'prompts_check_in_use',
                 'prompt_versions_check_input', 'ai_requests_check_input', 'ai_routes_check_input',
                 'api_keys_check_input', 'provider_secrets_check_input');
SELECT app.require_text('name', 'x', 1, 10) WHERE false;

ROLLBACK;
