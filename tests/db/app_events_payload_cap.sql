-- Outbox payloads up to 64 kB; larger ones and non-objects are refused.
BEGIN;
SELECT plan(3);
SELECT tests.make_world();

SELECT lives_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc'),
                                        jsonb_build_object('big', repeat('x', 20000)))$$,
                'a 20 kB payload is accepted (more than a NOTIFY could carry)');
SELECT throws_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc'),
                                         jsonb_build_object('big', repeat('x', 70000)))$$,
                 '23514', NULL, 'a payload over 64 kB is refused');
SELECT throws_ok($$SELECT app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc'),
                                         '[1, 2]'::jsonb)$$,
                 '23514', NULL, 'a payload is still an object');

SELECT * FROM finish();
ROLLBACK;
