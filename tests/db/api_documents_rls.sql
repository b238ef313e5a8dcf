-- api.documents: role x command matrix, validation and events.
BEGIN;
SELECT plan(30);
SELECT tests.make_world();

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.documents', '42501', NULL, 'anon cannot read documents');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), 'x')$$,
                 '42501', NULL, 'anon cannot write documents');

-- SELECT
SELECT tests.login_as('member_a');
SELECT set_eq('SELECT id FROM api.documents', ARRAY[tests.uid('doc_a1'), tests.uid('doc_a2')],
              'a member of A reads exactly A''s documents');
SELECT tests.login_as('viewer_a');
SELECT is((SELECT count(*) FROM api.documents), 2::bigint, 'a viewer of A reads A''s documents');
SELECT tests.login_as('admin_a');
SELECT is((SELECT count(*) FROM api.documents WHERE workspace_id = tests.uid('workspace_b')), 0::bigint,
          'an admin of A reads nothing of B');
SELECT tests.login_as('member_b');
SELECT set_eq('SELECT id FROM api.documents', ARRAY[tests.uid('doc_b1')], 'a member of B reads exactly B''s documents');

-- INSERT
SELECT tests.login_as('member_a');
SELECT lives_ok($$INSERT INTO api.documents (workspace_id, title, body, metadata)
                  VALUES (tests.uid('workspace_a'), 'Notes', 'Some notes', '{"tags": ["x"]}')$$,
                'a member of A adds a document to A');
SELECT is((SELECT created_by FROM api.documents WHERE title = 'Notes'), tests.uid('member_a'),
          'created_by is the caller');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_b'), 'Intrusion')$$,
                 '42501', NULL, 'a member of A cannot add to B');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title, created_by) VALUES (tests.uid('workspace_a'), 'x', tests.uid('owner_a'))$$,
                 '42501', NULL, 'created_by cannot be forged');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), '   ')$$,
                 '23514', NULL, 'a blank title is refused (400)');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title, metadata) VALUES (tests.uid('workspace_a'), 't', '[1]')$$,
                 '23514', NULL, 'metadata must be a JSON object');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), 'x')$$,
                 '42501', NULL, 'a viewer cannot add documents');

-- UPDATE
SELECT is(tests.affected_rows($$UPDATE api.documents SET title = 'x' WHERE id = tests.uid('doc_a1')$$), 0::bigint,
          'a viewer cannot edit documents');
SELECT tests.login_as('member_b');
SELECT is(tests.affected_rows($$UPDATE api.documents SET title = 'x' WHERE id = tests.uid('doc_a1')$$), 0::bigint,
          'a member of B cannot edit A''s documents');
SELECT tests.login_as('member_a');
SELECT is(tests.affected_rows($$UPDATE api.documents SET body = 'Revenue fell.' WHERE id = tests.uid('doc_a2')$$), 1::bigint,
          'a member edits any document of the workspace');
SELECT ok((SELECT search @@ to_tsquery('english', 'fell') FROM api.documents WHERE id = tests.uid('doc_a2')),
          'the search vector follows the body');
SELECT throws_ok($$UPDATE api.documents SET workspace_id = tests.uid('workspace_b') WHERE id = tests.uid('doc_a1')$$,
                 '42501', NULL, 'documents cannot be moved between workspaces');

-- DELETE
SELECT is(tests.affected_rows($$DELETE FROM api.documents WHERE id = tests.uid('doc_a2')$$), 0::bigint,
          'a member cannot delete someone else''s document');
SELECT is(tests.affected_rows($$DELETE FROM api.documents WHERE id = tests.uid('doc_a1')$$), 1::bigint,
          'a member deletes their own document');
SELECT tests.login_as('viewer_a');
SELECT is(tests.affected_rows($$DELETE FROM api.documents WHERE id = tests.uid('doc_a2')$$), 0::bigint,
          'a viewer cannot delete documents');
SELECT tests.login_as('member_b');
SELECT is(tests.affected_rows($$DELETE FROM api.documents WHERE id = tests.uid('doc_a2')$$), 0::bigint,
          'a member of B cannot delete A''s documents');
SELECT tests.login_as('admin_a');
SELECT is(tests.affected_rows($$DELETE FROM api.documents WHERE id = tests.uid('doc_a2')$$), 1::bigint,
          'an admin deletes any document of the workspace');

-- service_role, worker, analyst
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT count(*) FROM api.documents), 2::bigint, 'the service role reads all documents');
SELECT is(tests.affected_rows($$UPDATE api.documents SET title = 'Declassified' WHERE id = tests.uid('doc_b1')$$), 1::bigint,
          'the service role edits any document');
SELECT tests.authenticate_as('worker');
SELECT is((SELECT count(*) FROM api.documents), 2::bigint, 'the worker reads all documents');
SELECT throws_ok($$UPDATE api.documents SET title = 'x'$$, '42501', NULL, 'the worker cannot edit documents');
SELECT tests.clear_authentication();
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM api.documents', '42501', NULL, 'the analyst cannot read documents');
RESET ROLE;

SELECT is((SELECT count(*) FROM app.events WHERE topic = 'documents' AND kind = 'created'
           AND entity_id = (SELECT id FROM api.documents WHERE title = 'Notes')), 1::bigint,
          'adding a document emits a documents/created event');
SELECT is((SELECT count(*) FROM app.events WHERE topic = 'documents' AND kind = 'deleted'), 2::bigint,
          'deleting documents emits documents/deleted events');

SELECT * FROM finish();
ROLLBACK;
