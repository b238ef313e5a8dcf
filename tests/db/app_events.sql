-- The events outbox: rows, NOTIFY payload shape, and who may read them.
BEGIN;
SELECT plan(9);
SELECT tests.make_world();

SELECT ok((SELECT count(*) FROM app.events WHERE topic = 'memberships') >= 6,
          'memberships emit events');
SELECT is((SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc'), '{"x": 1}')
           > 0), true, 'emit_event returns the event id');
SELECT throws_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'exploded', tests.uid('doc'))$$,
                 '23514', NULL, 'event kinds are created, updated or deleted');
SELECT throws_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc'),
                                         jsonb_build_object('big', repeat('x', 70000)))$$,
                 '23514', NULL, 'payloads stay small');

SELECT tests.login_as('member_a');
SELECT is((SELECT count(*) FROM app.events WHERE workspace_id <> tests.uid('workspace_a')), 0::bigint,
          'a member of A reads only A''s events');
SELECT ok((SELECT count(*) FROM app.events) > 0, 'and does read them');
SELECT throws_ok($$INSERT INTO app.events (workspace_id, topic, kind, entity_id) VALUES (tests.uid('workspace_a'), 'x', 'created', tests.uid('x'))$$,
                 '42501', NULL, 'clients cannot forge events');
SELECT throws_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'x', 'created', tests.uid('x'))$$,
                 '42501', NULL, 'nor call emit_event');
SELECT tests.authenticate_as('worker');
SELECT ok((SELECT count(DISTINCT workspace_id) FROM app.events) >= 2, 'the worker reads every workspace''s events');

SELECT * FROM finish();
ROLLBACK;
