-- Verify taproot:app_prompt_variables on pg
BEGIN;

SELECT 1 / (app.template_placeholders('Hi {{ name }} and {{x}}') = '{name,x}')::int;
SELECT 'app.check_prompt_inputs(jsonb, jsonb)'::regprocedure;
SELECT 'app.check_prompt_variables(text, jsonb)'::regprocedure;

ROLLBACK;
