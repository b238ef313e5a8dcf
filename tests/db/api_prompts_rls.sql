-- api.prompts and api.prompt_versions: role x command matrix, numbering, immutability and
-- validation of declared variables.
BEGIN;
SELECT plan(33);
SELECT tests.make_world();

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.prompts', '42501', NULL, 'anon cannot read prompts');
SELECT throws_ok('SELECT * FROM api.prompt_versions', '42501', NULL, 'anon cannot read prompt versions');

-- SELECT
SELECT tests.login_as('viewer_a');
SELECT set_eq('SELECT id FROM api.prompts', ARRAY[tests.uid('prompt_a')], 'a viewer of A reads A''s prompts only');
SELECT set_eq('SELECT id FROM api.prompt_versions', ARRAY[tests.uid('version_a1')], 'and A''s versions only');
SELECT tests.login_as('member_b');
SELECT set_eq('SELECT id FROM api.prompts', ARRAY[tests.uid('prompt_b')], 'a member of B reads B''s prompts only');
SELECT is((SELECT count(*) FROM api.prompt_versions WHERE workspace_id = tests.uid('workspace_a')), 0::bigint,
          'and none of A''s versions');

-- INSERT prompts
SELECT tests.login_as('member_a');
SELECT lives_ok($$INSERT INTO api.prompts (workspace_id, name, description)
                  VALUES (tests.uid('workspace_a'), 'classify', 'Sort tickets')$$,
                'a member adds a prompt');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'classify')$$,
                 '23505', NULL, 'prompt names are unique per workspace (409)');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_b'), 'sneaky')$$,
                 '42501', NULL, 'a member of A cannot add prompts to B');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'viewer prompt')$$,
                 '42501', NULL, 'a viewer cannot add prompts');

-- INSERT versions: numbering and validation
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model)
                   VALUES (tests.uid('prompt_a'), 'Hi {{name}}', '{"name": "string"}', 'm')$$,
                 '42501', NULL, 'a viewer cannot add versions');
SELECT tests.login_as('member_a');
SELECT lives_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model, params)
                  VALUES (tests.uid('prompt_a'), 'Summarize {{ text }} for {{audience}}',
                          '{"text": "string", "audience": "string"}', 'demo-model', '{"temperature": 0.2}')$$,
                'a member adds a version');
SELECT is((SELECT max(version) FROM api.prompt_versions WHERE prompt_id = tests.uid('prompt_a')), 2,
          'versions are numbered per prompt');
SELECT is((SELECT workspace_id FROM api.prompt_versions WHERE prompt_id = tests.uid('prompt_a') AND version = 2),
          tests.uid('workspace_a'), 'the workspace is copied from the prompt');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model)
                   VALUES (tests.uid('prompt_a'), 'Hi {{name}} from {{place}}', '{"name": "string"}', 'm')$$,
                 '22023', 'invalid prompt variables: undeclared variables used in the template: place',
                 'an undeclared placeholder is named (400)');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model)
                   VALUES (tests.uid('prompt_a'), 'Hi {{name}}', '{"name": "string", "age": "integer"}', 'm')$$,
                 '22023', 'invalid prompt variables: declared variables the template does not use: age',
                 'an unused declaration is named');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model)
                   VALUES (tests.uid('prompt_a'), 'Hi {{name}}', '{"name": "text"}', 'm')$$,
                 '22023', NULL, 'an unknown type is refused');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, variables, model)
                   VALUES (tests.uid('prompt_a'), 'Hi', '{}', '  ')$$,
                 '23514', NULL, 'a model is required');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, model)
                   VALUES (tests.uid('prompt_b'), 'Hi', 'm')$$,
                 '42501', NULL, 'a member of A cannot add versions to B''s prompts');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, model)
                   VALUES (gen_random_uuid(), 'Hi', 'm')$$,
                 '23503', NULL, 'an unknown prompt is a foreign-key violation (409)');

-- Versions are immutable
SELECT throws_ok($$UPDATE api.prompt_versions SET template = 'changed' WHERE id = tests.uid('version_a1')$$,
                 '42501', NULL, 'users cannot update versions');
SELECT throws_ok($$DELETE FROM api.prompt_versions WHERE id = tests.uid('version_a1')$$,
                 '42501', NULL, 'users cannot delete versions');
SELECT tests.authenticate_as('service_role');
SELECT throws_ok($$UPDATE api.prompt_versions SET template = 'changed' WHERE id = tests.uid('version_a1')$$,
                 '42501', NULL, 'not even the service role updates versions');
SELECT tests.clear_authentication();
SELECT throws_ok($$UPDATE api.prompt_versions SET template = 'changed' WHERE id = tests.uid('version_a1')$$,
                 '42501', 'prompt versions are immutable', 'nor the owner: the trigger refuses');

-- UPDATE / DELETE prompts
SELECT tests.login_as('member_a');
SELECT is(tests.affected_rows($$UPDATE api.prompts SET description = 'Short summaries' WHERE id = tests.uid('prompt_a')$$),
          1::bigint, 'a member edits a prompt');
SELECT is(tests.affected_rows($$UPDATE api.prompts SET description = 'x' WHERE id = tests.uid('prompt_b')$$),
          0::bigint, 'a member of A cannot edit B''s prompts');
SELECT is(tests.affected_rows($$DELETE FROM api.prompts WHERE name = 'classify'$$), 0::bigint,
          'a member cannot delete prompts');
SELECT tests.login_as('viewer_a');
SELECT is(tests.affected_rows($$UPDATE api.prompts SET description = 'x' WHERE id = tests.uid('prompt_a')$$),
          0::bigint, 'a viewer cannot edit prompts');
SELECT tests.login_as('admin_a');
SELECT is(tests.affected_rows($$DELETE FROM api.prompts WHERE name = 'classify'$$), 1::bigint,
          'an admin deletes a prompt');
SELECT throws_ok($$DELETE FROM api.prompts WHERE id = tests.uid('prompt_a')$$, '23503', NULL,
                 'a prompt whose versions have AI requests cannot be deleted (409)');

-- worker, service role, analyst
SELECT tests.authenticate_as('worker');
SELECT is((SELECT count(*) FROM api.prompt_versions), 3::bigint, 'the worker reads all versions');
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT count(*) FROM api.prompts), 2::bigint, 'the service role reads all prompts');
SELECT tests.clear_authentication();
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM api.prompts', '42501', NULL, 'the analyst cannot read prompts');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
