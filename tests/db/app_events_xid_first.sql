-- app.emit_event has its transaction id before it takes an event id (the feed's hole bound).
BEGIN;
SELECT plan(3);
SELECT tests.make_world();

SELECT matches(pg_get_functiondef('app.emit_event(uuid, text, text, uuid, jsonb)'::regprocedure),
               'pg_current_xact_id\(\);.*INSERT INTO app\.events',
               'emit_event asks for its xid before the INSERT that takes the id');
SELECT isnt(app.emit_event(tests.uid('workspace_a'), 'documents', 'updated', tests.uid('doc')), NULL,
            'an event is still emitted');
SELECT is(pg_current_xact_id_if_assigned() IS NOT NULL, true, 'and the transaction has an xid');

SELECT * FROM finish();
ROLLBACK;
