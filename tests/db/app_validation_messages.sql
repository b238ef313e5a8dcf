-- Every validation a client can trigger answers a sentence naming the field, with a detail
-- and a hint where they help, in the SQLSTATE the constraint would raise (so the status is
-- the same): 23502 missing, 23514 malformed, 23505 duplicate, 23503 missing reference.
-- Duplicates and missing rows are told only to callers the write policies admit.
-- The catalogue is docs/errors.md; this file pins it.
BEGIN;
SELECT plan(73);
SELECT tests.make_world();
SELECT set_config('app.secrets_key', 'a-test-key-that-is-at-least-32-characters', true);

-- The error's fields as the gateway reads them: {code, message, details, hint}.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    code text; message text; detail text; hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN ARRAY[code, message, nullif(detail, ''), nullif(hint, '')];
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

-- api.users -------------------------------------------------------------------------
SELECT tests.login_as('admin_a');
SELECT throws_ok($$INSERT INTO api.users (name) VALUES ('No Email')$$, '23502', 'email is required',
                 'users: a missing email');
SELECT throws_ok($$INSERT INTO api.users (email) VALUES ('noname@example.test')$$, '23502', 'name is required',
                 'users: a missing name');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('blank@example.test', '  ')$$, '23514',
                 'name must not be blank', 'users: a blank name');
SELECT throws_ok(format($$INSERT INTO api.users (email, name) VALUES ('long@example.test', %L)$$, repeat('x', 201)),
                 '23514', 'name must be at most 200 characters', 'users: a name over 200 characters');
SELECT is(pg_temp.error_of(format($$INSERT INTO api.users (email, name) VALUES ('long@example.test', %L)$$, repeat('x', 201))),
          ARRAY['23514', 'name must be at most 200 characters', 'It has 201 characters.', NULL],
          'users: the detail says how long the name is');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('Member_A@Example.test', 'Again')$$, '23505',
                 'email is already used by another account', 'users: a duplicate email, in any case');
SELECT is(pg_temp.error_of($$INSERT INTO api.users (email, name) VALUES ('Member_A@Example.test', 'Again')$$),
          ARRAY['23505', 'email is already used by another account',
                'An account with the email member_a@example.test exists.',
                'Emails are compared without regard to case. To add that person to a workspace, call /rpc/invite_member.'],
          'users: the duplicate''s detail and hint');
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('owner_b@example.test', 'Probe')$$, '42501', NULL,
                 'users: a caller the policies refuse learns nothing of existing emails');
SELECT throws_ok(format($$UPDATE api.users SET name = %L WHERE id = tests.uid('member_a')$$, repeat('x', 201)),
                 '23514', 'name must be at most 200 characters', 'users: renaming oneself is checked too');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format($$SELECT api.signup('newcomer@example.test', 'a long enough password', %L)$$, repeat('x', 201)),
                 '23514', 'name must be at most 200 characters', 'signup: a name over 200 characters');

-- api.workspaces ----------------------------------------------------------------------
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.create_workspace('   ')$$, '23514', 'name must not be blank',
                 'create_workspace: a blank name');
SELECT throws_ok($$SELECT api.create_workspace(NULL)$$, '23502', 'name is required',
                 'create_workspace: no name');
SELECT is(pg_temp.error_of(format($$SELECT api.create_workspace(%L)$$, repeat('w', 101))),
          ARRAY['23514', 'name must be at most 100 characters', 'It has 101 characters.', NULL],
          'create_workspace: a name over 100 characters');
SELECT tests.login_as('owner_a');
SELECT throws_ok($$UPDATE api.workspaces SET name = '' WHERE id = tests.uid('workspace_a')$$, '23514',
                 'name must not be blank', 'workspaces: renaming to blank');
SELECT tests.authenticate_as('service_role');
SELECT is(pg_temp.error_of($$UPDATE api.workspaces SET daily_token_quota = 0 WHERE id = tests.uid('workspace_a')$$),
          ARRAY['23514', 'daily_token_quota must be at least 1', 'Got 0.', NULL],
          'workspaces: a quota below 1');

-- api.memberships ----------------------------------------------------------------------
SELECT tests.login_as('admin_a');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id, role)
                   VALUES (tests.uid('workspace_a'), tests.uid('outsider'), 'boss')$$, '23514',
                 'role must be one of owner, admin, member, viewer', 'memberships: an unknown role');
SELECT is(pg_temp.error_of($$INSERT INTO api.memberships (workspace_id, user_id, role)
                             VALUES (tests.uid('workspace_a'), tests.uid('outsider'), 'boss')$$),
          ARRAY['23514', 'role must be one of owner, admin, member, viewer', 'Got ''boss''.', NULL],
          'memberships: the detail names the bad role');
SELECT throws_ok($$UPDATE api.memberships SET role = 'boss' WHERE user_id = tests.uid('member_a')$$, '23514',
                 'role must be one of owner, admin, member, viewer', 'memberships: changing to an unknown role');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id)
                   VALUES (tests.uid('workspace_a'), tests.uid('member_a'))$$, '23505',
                 'user_id is already a member of this workspace', 'memberships: adding a member twice');
SELECT is(pg_temp.error_of($$INSERT INTO api.memberships (workspace_id, user_id)
                             VALUES (tests.uid('workspace_a'), tests.uid('member_a'))$$),
          ARRAY['23505', 'user_id is already a member of this workspace',
                format('User %s is a member of workspace %s.', tests.uid('member_a'), tests.uid('workspace_a')),
                'To change their role, update the membership instead.'],
          'memberships: the duplicate''s detail and hint');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id)
                   VALUES (tests.uid('workspace_a'), tests.uid('nobody'))$$, '23503',
                 'user_id must be the id of an existing user', 'memberships: an unknown user');
SELECT is(pg_temp.error_of($$INSERT INTO api.memberships (workspace_id, user_id)
                             VALUES (tests.uid('workspace_a'), tests.uid('nobody'))$$),
          ARRAY['23503', 'user_id must be the id of an existing user',
                format('No user has id %s.', tests.uid('nobody')),
                'To add someone by email, call /rpc/invite_member.'],
          'memberships: the unknown user''s detail and hint');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, role) VALUES (tests.uid('workspace_a'), 'member')$$,
                 '23502', 'user_id is required', 'memberships: no user');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'someone@example.test', 'boss')$$, '23514',
                 'role must be one of owner, admin, member, viewer', 'invite_member: an unknown role');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'MEMBER_A@example.test')$$, '23505',
                 'user_id is already a member of this workspace', 'invite_member: inviting a member again');
SELECT throws_ok(format($$SELECT api.invite_member(tests.uid('workspace_a'), 'longname@example.test', 'member', %L)$$,
                        repeat('n', 201)),
                 '23514', 'name must be at most 200 characters', 'invite_member: a name over 200 characters');
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id)
                   VALUES (tests.uid('workspace_a'), tests.uid('admin_a'))$$, '42501', NULL,
                 'memberships: a caller the policies refuse is refused before any lookup');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id)
                   VALUES (tests.uid('workspace_a'), tests.uid('nobody'))$$, '42501', NULL,
                 'memberships: and learns nothing of which users exist');
SELECT tests.authenticate_as('service_role');
SELECT is(pg_temp.error_of($$INSERT INTO api.memberships (workspace_id, user_id)
                             VALUES (tests.uid('no workspace'), tests.uid('member_a'))$$),
          ARRAY['23503', 'workspace_id must be the id of an existing workspace',
                format('No workspace has id %s.', tests.uid('no workspace')), NULL],
          'memberships: the back office is told of an unknown workspace');

-- api.documents ---------------------------------------------------------------------
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, body) VALUES (tests.uid('workspace_a'), 'x')$$,
                 '23502', 'title is required', 'documents: no title');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), ' ')$$,
                 '23514', 'title must not be blank', 'documents: a blank title');
SELECT throws_ok(format($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), %L)$$,
                        repeat('t', 501)),
                 '23514', 'title must be at most 500 characters', 'documents: a title over 500 characters');
SELECT is(pg_temp.error_of(format($$INSERT INTO api.documents (workspace_id, title, body)
                                    VALUES (tests.uid('workspace_a'), 'Big', %L)$$, repeat('b', 1000001))),
          ARRAY['23514', 'body must be at most 1000000 bytes', 'It has 1000001 bytes.',
                'Split the text into several documents.'],
          'documents: a body over 1 MB');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title, body) VALUES (tests.uid('workspace_a'), 'Null', NULL)$$,
                 '23502', 'body is required', 'documents: a null body');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title, metadata)
                   VALUES (tests.uid('workspace_a'), 'Tags', '["a"]')$$,
                 '23514', 'metadata must be a JSON object', 'documents: metadata that is not an object');
SELECT is(pg_temp.error_of($$UPDATE api.documents SET metadata = '"tag"' WHERE id = tests.uid('doc_a1')$$),
          ARRAY['23514', 'metadata must be a JSON object', 'It is a JSON string.',
                'Send an object such as {"key": "value"}, or {} for none.'],
          'documents: the metadata''s detail and hint, on update too');
SELECT is(pg_temp.error_of($$UPDATE api.documents SET metadata = NULL WHERE id = tests.uid('doc_a1')$$),
          ARRAY['23502', 'metadata is required', NULL, 'Send {} for none.'],
          'documents: null metadata');
SELECT tests.authenticate_as('service_role');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('no workspace'), 'Lost')$$,
                 '23503', 'workspace_id must be the id of an existing workspace',
                 'documents: the back office is told of an unknown workspace');

-- api.prompts and api.prompt_versions -------------------------------------------------
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), '')$$,
                 '23514', 'name must not be blank', 'prompts: a blank name');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'summarize')$$,
                 '23505', 'name is already used by another prompt in this workspace', 'prompts: a duplicate name');
SELECT is(pg_temp.error_of($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'summarize')$$),
          ARRAY['23505', 'name is already used by another prompt in this workspace',
                'A prompt named ''summarize'' exists.',
                'Choose another name, or add a version to the existing prompt.'],
          'prompts: the duplicate''s detail and hint');
SELECT lives_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'classify')$$,
                'prompts: another name is fine');
SELECT throws_ok($$UPDATE api.prompts SET name = 'summarize' WHERE name = 'classify'$$,
                 '23505', 'name is already used by another prompt in this workspace', 'prompts: renaming onto another''s name');
SELECT lives_ok($$UPDATE api.prompts SET name = 'summarize' WHERE id = tests.uid('prompt_a')$$,
                'prompts: keeping one''s own name is no conflict');
SELECT is(pg_temp.error_of(format($$UPDATE api.prompts SET description = %L WHERE id = tests.uid('prompt_a')$$, repeat('d', 2001))),
          ARRAY['23514', 'description must be at most 2000 characters', 'It has 2001 characters.', NULL],
          'prompts: a description over 2000 characters');
SELECT tests.login_as('member_b');
SELECT throws_ok($$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'summarize')$$,
                 '42501', NULL, 'prompts: another workspace''s member learns nothing of its prompt names');
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.prompt_versions (template, model) VALUES ('Hi', 'demo-model')$$,
                 '23502', 'prompt_id is required', 'prompt_versions: no prompt');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, model) VALUES (tests.uid('prompt_a'), 'demo-model')$$,
                 '23502', 'template is required', 'prompt_versions: no template');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, model) VALUES (tests.uid('prompt_a'), '', 'demo-model')$$,
                 '23514', 'template must not be empty', 'prompt_versions: an empty template');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, model) VALUES (tests.uid('prompt_a'), 'Hi', ' ')$$,
                 '23514', 'model must not be blank', 'prompt_versions: a blank model');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template) VALUES (tests.uid('prompt_a'), 'Hi')$$,
                 '23502', 'model is required', 'prompt_versions: no model');
SELECT throws_ok($$INSERT INTO api.prompt_versions (prompt_id, template, model, params)
                   VALUES (tests.uid('prompt_a'), 'Hi', 'demo-model', '[]')$$,
                 '23514', 'params must be a JSON object', 'prompt_versions: params that are not an object');
SELECT tests.login_as('admin_a');
SELECT throws_ok($$DELETE FROM api.prompts WHERE id = tests.uid('prompt_a')$$, '23503',
                 'this prompt cannot be deleted: AI requests were made with its versions',
                 'prompts: deleting one AI requests refer to');
SELECT is(pg_temp.error_of($$DELETE FROM api.prompts WHERE id = tests.uid('prompt_a')$$),
          ARRAY['23503', 'this prompt cannot be deleted: AI requests were made with its versions',
                format('1 AI requests refer to versions of prompt %s.', tests.uid('prompt_a')),
                'Keep the prompt: its versions are the record of those requests.'],
          'prompts: the detail counts the requests, the hint says why');
SELECT is(tests.affected_rows($$DELETE FROM api.prompts WHERE name = 'classify'$$), 1::bigint,
          'prompts: one without requests is deleted');

-- api.ai_requests -----------------------------------------------------------------------
SELECT tests.login_as('member_a');
SELECT is(pg_temp.error_of($$INSERT INTO api.ai_requests (workspace_id, inputs) VALUES (tests.uid('workspace_a'), '{}')$$),
          ARRAY['23502', 'prompt_version_id is required', NULL, 'Or call /rpc/run_prompt with a prompt_id.'],
          'ai_requests: no prompt version');

-- api.ai_routes -------------------------------------------------------------------------
SELECT tests.login_as('admin_a');
SELECT lives_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                  VALUES (tests.uid('workspace_a'), 'smart', 1, 'openai')$$, 'ai_routes: a route');
SELECT is(pg_temp.error_of($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                             VALUES (tests.uid('workspace_a'), 'smart', 1, 'anthropic')$$),
          ARRAY['23505', 'position is already taken by another route for this model',
                'Model ''smart'' has a route at position 1.',
                'Choose another position, or change the existing route.'],
          'ai_routes: a taken position');
SELECT is(pg_temp.error_of($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                             VALUES (tests.uid('workspace_a'), 'smart', 0, 'anthropic')$$),
          ARRAY['23514', 'position must be at least 1', 'Got 0.', NULL],
          'ai_routes: a position below 1');
SELECT is(pg_temp.error_of($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                             VALUES (tests.uid('workspace_a'), 'smart', 2, 'Open AI')$$),
          ARRAY['23514', 'credential must be a lower-case name of at most 50 characters', 'Got ''Open AI''.',
                'Start with a letter a-z and use only a-z, 0-9, "_" and "-", e.g. "openai".'],
          'ai_routes: a credential that is not a provider name');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position) VALUES (tests.uid('workspace_a'), 'smart', 2)$$,
                 '23502', 'credential is required', 'ai_routes: no credential');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, credential) VALUES (tests.uid('workspace_a'), '', 'openai')$$,
                 '23514', 'model must not be empty', 'ai_routes: an empty model');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)
                   VALUES (tests.uid('workspace_a'), 'smart', 2, 'openai', '')$$,
                 '23514', 'upstream_model must not be empty', 'ai_routes: an empty upstream model (null means the same model)');
SELECT throws_ok($$UPDATE api.ai_routes SET position = 0 WHERE model = 'smart'$$, '23514',
                 'position must be at least 1', 'ai_routes: on update too');
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                   VALUES (tests.uid('workspace_a'), 'smart', 1, 'anthropic')$$, '42501', NULL,
                 'ai_routes: a member is refused by the policy, not told of the taken position');

-- api.create_api_key (app.api_keys) -------------------------------------------------
SELECT tests.login_as('owner_a');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), '  ')$$, '23514', 'name must not be blank',
                 'create_api_key: a blank name');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), NULL)$$, '23502', 'name is required',
                 'create_api_key: no name');
SELECT is(pg_temp.error_of($$SELECT api.create_api_key(tests.uid('workspace_a'), 'ci', 0)$$),
          ARRAY['23514', 'token_budget must be at least 1', 'Got 0.', 'Leave it out for no budget.'],
          'create_api_key: a budget below 1');
SELECT is(pg_temp.error_of($$SELECT api.create_api_key(tests.uid('workspace_a'), 'ci', NULL, 0)$$),
          ARRAY['23514', 'requests_per_minute must be at least 1', 'Got 0.', 'Leave it out for no limit.'],
          'create_api_key: a request rate below 1');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), 'ci', NULL, NULL, -5)$$, '23514',
                 'tokens_per_minute must be at least 1', 'create_api_key: a token rate below 1');

-- api.set_provider_secret (app.provider_secrets) -------------------------------------
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'Open AI', 'sk-live-1234567890abcd')$$,
                 '23514', 'provider must be a lower-case name of at most 50 characters', 'set_provider_secret: a bad provider');
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), NULL, 'sk-live-1234567890abcd')$$,
                 '23502', 'provider is required', 'set_provider_secret: no provider');

-- The constraints stay as the last line of defence -----------------------------------
SELECT is((SELECT count(*) FROM pg_constraint
           WHERE conname IN ('users_name_length', 'users_email_key', 'workspaces_name_length',
                             'memberships_role_known', 'documents_title_length', 'prompts_workspace_id_name_key',
                             'ai_routes_position_positive', 'api_keys_name_length', 'provider_secrets_provider_format')),
          9::bigint, 'the constraints behind the messages are still there');

SELECT * FROM finish();
ROLLBACK;
