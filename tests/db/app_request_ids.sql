-- app_request_ids: the request.id GUC lands on audit rows and on the jobs a request defers.
BEGIN;
SELECT plan(5);

SELECT is(app.current_request_id(), NULL, 'no request id outside a request');
SELECT set_config('request.id', 'req-pgtap-1', true);
SELECT is(app.current_request_id(), 'req-pgtap-1', 'the GUC is the request id');

SELECT app.audit('test.action');
SELECT is((SELECT http_request_id FROM app.audit_log WHERE action = 'test.action' ORDER BY id DESC LIMIT 1),
          'req-pgtap-1', 'an audit row keeps the request that wrote it');

CREATE TEMPORARY TABLE deferred AS SELECT app.defer_job('noop', '{}') AS job_id;
SELECT is((SELECT r.http_request_id FROM app.job_requests r JOIN deferred d USING (job_id)),
          'req-pgtap-1', 'a job keeps the request that deferred it');

SELECT set_config('request.id', '', true);
TRUNCATE deferred;
INSERT INTO deferred SELECT app.defer_job('noop', '{}');
SELECT is((SELECT count(*)::int FROM app.job_requests r JOIN deferred d USING (job_id)),
          0, 'a job deferred outside a request records nothing');

SELECT * FROM finish();
ROLLBACK;
