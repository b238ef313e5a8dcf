-- Deploy taproot:app_prompt_variables to pg
-- requires: app_schema
-- The rules for declared prompt variables and for the inputs of a run, in one place.
-- Declared variables: {"name": "string" | "number" | "integer" | "boolean" | "array" | "object"}.
BEGIN;

CREATE FUNCTION app.template_placeholders(p_template text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT m[1] ORDER BY m[1]), '{}')
    FROM pg_catalog.regexp_matches(p_template, '\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}', 'g') AS m
$$;
COMMENT ON FUNCTION app.template_placeholders(text) IS 'The {{variable}} names a template uses, sorted';

-- Raise 22023 naming every problem of a declaration against its template.
CREATE FUNCTION app.check_prompt_variables(p_template text, p_variables jsonb)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
DECLARE
    problems   text[] := '{}';
    bad        text;
    used       text[] := app.template_placeholders(p_template);
BEGIN
    IF p_variables IS NULL OR pg_catalog.jsonb_typeof(p_variables) <> 'object' THEN
        RAISE EXCEPTION 'variables must be a JSON object like {"text": "string"}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', key, value), ', ' ORDER BY key) INTO bad
    FROM pg_catalog.jsonb_each(p_variables)
    WHERE key !~ '^[A-Za-z_][A-Za-z0-9_]*$'
       OR value NOT IN ('"string"', '"number"', '"integer"', '"boolean"', '"array"', '"object"');
    IF bad IS NOT NULL THEN
        problems := problems || ('invalid declarations: ' || bad
            || ' (names are identifiers; types are string, number, integer, boolean, array or object)');
    END IF;
    SELECT pg_catalog.string_agg(u, ', ' ORDER BY u) INTO bad
    FROM pg_catalog.unnest(used) AS u WHERE NOT p_variables ? u;
    IF bad IS NOT NULL THEN
        problems := problems || ('undeclared variables used in the template: ' || bad);
    END IF;
    SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) INTO bad
    FROM pg_catalog.jsonb_object_keys(p_variables) AS k WHERE k <> ALL (used);
    IF bad IS NOT NULL THEN
        problems := problems || ('declared variables the template does not use: ' || bad);
    END IF;
    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'invalid prompt variables: %', pg_catalog.array_to_string(problems, '; ')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_prompt_variables(text, jsonb) IS
    'Raise 22023 unless every {{placeholder}} is declared, every declaration is used and types are known';

-- Raise 22023 naming every missing, unexpected or wrongly typed input.
CREATE FUNCTION app.check_prompt_inputs(p_variables jsonb, p_inputs jsonb)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
DECLARE
    problems text[] := '{}';
    bad      text;
BEGIN
    IF p_inputs IS NULL OR pg_catalog.jsonb_typeof(p_inputs) <> 'object' THEN
        RAISE EXCEPTION 'inputs must be a JSON object of variable values'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) INTO bad
    FROM pg_catalog.jsonb_object_keys(p_variables) AS k WHERE NOT p_inputs ? k;
    IF bad IS NOT NULL THEN
        problems := problems || ('missing variables: ' || bad);
    END IF;
    SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) INTO bad
    FROM pg_catalog.jsonb_object_keys(p_inputs) AS k WHERE NOT p_variables ? k;
    IF bad IS NOT NULL THEN
        problems := problems || ('unexpected variables: ' || bad);
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s must be %s (got %s)', d.key, d.value #>> '{}',
                                                    pg_catalog.jsonb_typeof(i.value)), ', ' ORDER BY d.key)
    INTO bad
    FROM pg_catalog.jsonb_each(p_variables) AS d
    JOIN pg_catalog.jsonb_each(p_inputs) AS i ON i.key = d.key
    WHERE NOT CASE d.value #>> '{}'
        WHEN 'integer' THEN CASE WHEN pg_catalog.jsonb_typeof(i.value) = 'number'
                                 THEN (i.value)::numeric = pg_catalog.trunc((i.value)::numeric)
                                 ELSE false END
        ELSE pg_catalog.jsonb_typeof(i.value) = d.value #>> '{}'
    END;
    IF bad IS NOT NULL THEN
        problems := problems || ('wrong types: ' || bad);
    END IF;
    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'invalid inputs: %', pg_catalog.array_to_string(problems, '; ')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_prompt_inputs(jsonb, jsonb) IS
    'Raise 22023 naming missing, unexpected and wrongly typed inputs for the declared variables';

COMMIT;
