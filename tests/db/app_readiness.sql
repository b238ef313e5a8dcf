-- app_readiness: schema, worker heartbeat and queue lag, callable by authenticator.
BEGIN;
SELECT plan(8);

DELETE FROM procrastinate.procrastinate_workers;
SELECT is(app.readiness('{}') -> 'worker' ->> 'ok', 'false', 'no worker: not ready');
INSERT INTO procrastinate.procrastinate_workers (last_heartbeat) VALUES (now());
SELECT is(app.readiness('{}') -> 'worker' ->> 'ok', 'true', 'a fresh heartbeat: ready');
UPDATE procrastinate.procrastinate_workers SET last_heartbeat = now() - interval '1 minute';
SELECT is(app.readiness('{"max_heartbeat_age": 30}') -> 'worker' ->> 'ok', 'false',
          'a heartbeat older than max_heartbeat_age: not ready');

SELECT is(app.readiness('{"expected_change": "app_readiness"}') -> 'schema' ->> 'ok', 'true',
          'the expected change is deployed');
SELECT is(app.readiness('{"expected_change": "no_such_change"}') -> 'schema' ->> 'ok', 'false',
          'a change not deployed: the schema is behind');

SELECT app.defer_job('noop', '{}', 'readiness_test');
UPDATE procrastinate.procrastinate_events SET at = now() - interval '10 minutes'
WHERE job_id IN (SELECT id FROM procrastinate.procrastinate_jobs WHERE queue_name = 'readiness_test');
SELECT is(app.readiness('{"max_queue_lag": 60}') -> 'queue' ->> 'ok', 'false', 'an old runnable job: lagging');
SELECT ok((app.readiness('{}') -> 'queue' -> 'queues' -> 'readiness_test' ->> 'lag_seconds')::numeric >= 600,
          'the lag is reported per queue');

SET LOCAL ROLE authenticator;
SELECT ok(app.readiness('{}') ? 'schema', 'authenticator may call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
