-- Revert taproot:app_prompt_variables from pg
BEGIN;

DROP FUNCTION app.check_prompt_inputs(jsonb, jsonb);
DROP FUNCTION app.check_prompt_variables(text, jsonb);
DROP FUNCTION app.template_placeholders(text);

COMMIT;
