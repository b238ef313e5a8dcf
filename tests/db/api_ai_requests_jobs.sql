-- One Procrastinate job per queued AI request, created and rolled back with it; cancelling
-- a request cancels its job; the worker's claim/finish are fenced by attempt; finished
-- requests cannot change; the queue's SQL works under each role that touches it.
BEGIN;
SELECT plan(30);
SELECT tests.make_world();

-- Enqueue in the same transaction, from every insert path, under a client's search_path.
SELECT tests.login_as('member_a');
SELECT is(current_setting('search_path'), '"$user", public', 'a client session does not have procrastinate on its path');
CREATE TEMP TABLE t_req ON COMMIT DROP AS
    SELECT * FROM api.run_prompt(tests.uid('prompt_a'), '{"text": "Long text", "words": 10}');
GRANT SELECT ON t_req TO PUBLIC;
SELECT isnt((SELECT job_id FROM t_req), NULL, 'run_prompt gives the request its job');
SELECT tests.clear_authentication();
SELECT is((SELECT (task_name, queue_name, status::text, args)::text FROM procrastinate.procrastinate_jobs
           WHERE id = (SELECT job_id FROM t_req)),
          ('ai.run_request', 'ai', 'todo', jsonb_build_object('request_id', (SELECT id FROM t_req)))::text,
          'the job runs ai.run_request on queue ai with the request id');
SELECT is((SELECT count(*) FROM api.ai_requests r WHERE r.status = 'queued' AND NOT EXISTS
             (SELECT 1 FROM procrastinate.procrastinate_jobs j WHERE j.id = r.job_id)), 0::bigint,
          'every queued request (fixtures included) has its job');
SELECT throws_ok($$UPDATE api.ai_requests SET job_id = NULL WHERE id = tests.uid('request_a1')$$, '23514', NULL,
                 'a queued request without a job violates ai_requests_queued_has_job');

SELECT tests.login_as('member_a');
INSERT INTO api.ai_requests (prompt_version_id, inputs) VALUES (tests.uid('version_a1'), '{"text": "x", "words": 1}');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM api.ai_requests r JOIN procrastinate.procrastinate_jobs j ON j.id = r.job_id
           WHERE r.inputs = '{"text": "x", "words": 1}'), 1::bigint, 'a POST on /ai_requests is queued too');

SELECT tests.login_as('member_a');
SAVEPOINT before_run;
SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "rolled back", "words": 1}');
ROLLBACK TO SAVEPOINT before_run;
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM procrastinate.procrastinate_jobs j WHERE j.args->>'request_id' NOT IN
             (SELECT id::text FROM api.ai_requests)), 0::bigint, 'a rolled-back run_prompt leaves no job');

-- Client roles cannot reach the queue except through api functions.
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT app.defer_job('ai.run_request', '{}')$$, '42501', NULL, 'clients cannot defer jobs directly');
SELECT throws_ok($$SELECT * FROM procrastinate.procrastinate_jobs$$, '42501', NULL, 'clients cannot read the queue');
SELECT throws_ok(format('SELECT * FROM app.claim_ai_request(%L, 1)', (SELECT id FROM t_req)), '42501', NULL,
                 'clients cannot claim requests');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT app.cancel_job(1)$$, '42501', NULL, 'anon cannot cancel jobs');

-- The worker, with the search_path its connections set.
SELECT tests.authenticate_as('worker');
SET LOCAL search_path = procrastinate, public, pg_catalog;  -- public: pgTAP
CREATE TEMP TABLE t_worker ON COMMIT DROP AS SELECT procrastinate_register_worker_v1() AS id;
SELECT is((SELECT (procrastinate_fetch_job_v2('{ai}', (SELECT id FROM t_worker))).status::text), 'doing',
          'the worker fetches a job with Procrastinate''s own function');
SELECT is((SELECT attempt FROM app.claim_ai_request((SELECT id FROM t_req), (SELECT job_id FROM t_req))), 1,
          'claiming starts attempt 1');
SELECT is((SELECT status FROM api.ai_requests WHERE id = (SELECT id FROM t_req)), 'running', 'the request is running');
SELECT is((SELECT count(*) FROM app.claim_ai_request((SELECT id FROM t_req), 999999)), 0::bigint,
          'another job cannot claim it');
SELECT is((SELECT attempt FROM app.claim_ai_request((SELECT id FROM t_req), (SELECT job_id FROM t_req))), 2,
          'a retried job (its worker died) claims attempt 2');
SELECT throws_ok(format($$SELECT app.finish_ai_request(%L, 1, 'succeeded', 'late')$$, (SELECT id FROM t_req)),
                 'PT409', NULL, 'the worker of attempt 1, back late, cannot finish it');
SELECT is((SELECT (status, result, tokens_in, cost)::text FROM app.finish_ai_request((SELECT id FROM t_req), 2,
                  'succeeded', 'done', p_tokens_in => 10, p_tokens_out => 5, p_cost => 0.5)),
          '(succeeded,done,10,0.500000)', 'the current attempt finishes it');
SELECT throws_ok(format($$SELECT app.finish_ai_request(%L, 2, 'succeeded', 'again')$$, (SELECT id FROM t_req)),
                 'PT409', NULL, 'nobody finishes a request twice');
SELECT throws_ok(format($$UPDATE api.ai_requests SET result = 'overwritten' WHERE id = %L$$, (SELECT id FROM t_req)),
                 'PT409', 'the AI request has already succeeded; its outcome cannot change',
                 'a finished result cannot be overwritten, even by the worker');
SELECT is((SELECT count(*) FROM app.claim_ai_request((SELECT id FROM t_req), (SELECT job_id FROM t_req))), 0::bigint,
          'a finished request cannot be claimed again');

-- Retry bookkeeping: a failed attempt queued for later keeps its error and next time.
SELECT tests.clear_authentication();
CREATE TEMP TABLE t_retry ON COMMIT DROP AS SELECT id, job_id FROM api.ai_requests WHERE id = tests.uid('request_a1');
GRANT SELECT ON t_retry TO PUBLIC;
SELECT tests.authenticate_as('worker');
SELECT is((SELECT attempt FROM app.claim_ai_request(tests.uid('request_a1'), (SELECT job_id FROM t_retry))), 1, 'claimed');
SELECT is((SELECT (status, attempts, last_error, next_attempt_at IS NOT NULL)::text
           FROM app.finish_ai_request(tests.uid('request_a1'), 1, 'queued', NULL, 'transient: 503',
                                      now() + interval '5 seconds')),
          '(queued,1,"transient: 503",t)', 'a retry is queued with its error and next attempt time');

-- Cancelling cancels the job (queued) or asks its worker to abort it (running).
SELECT tests.login_as('member_a');
CREATE TEMP TABLE t_cancel ON COMMIT DROP AS
    SELECT * FROM api.run_prompt(tests.uid('prompt_a'), '{"text": "cancel me", "words": 1}');
GRANT SELECT ON t_cancel TO PUBLIC;
SELECT api.cancel_request((SELECT id FROM t_cancel));
SELECT tests.clear_authentication();
SELECT is((SELECT status::text FROM procrastinate.procrastinate_jobs WHERE id = (SELECT job_id FROM t_cancel)),
          'cancelled', 'cancelling a queued request cancels its job');
SELECT tests.authenticate_as('worker');
SET LOCAL search_path = procrastinate, public, pg_catalog;  -- public: pgTAP
SELECT app.claim_ai_request(tests.uid('request_a1'), (SELECT job_id FROM t_retry));
SELECT tests.clear_authentication();
UPDATE procrastinate.procrastinate_jobs SET status = 'doing' WHERE id = (SELECT job_id FROM t_retry);
SELECT tests.login_as('admin_a');
SELECT api.cancel_request(tests.uid('request_a1'));
SELECT tests.clear_authentication();
SELECT is((SELECT abort_requested FROM procrastinate.procrastinate_jobs WHERE id = (SELECT job_id FROM t_retry)), true,
          'cancelling a running request asks its worker to abort the job');
SELECT tests.authenticate_as('worker');
SELECT throws_ok($$SELECT app.finish_ai_request(tests.uid('request_a1'), 2, 'succeeded', 'too late')$$, 'PT409', NULL,
                 'a cancelled request cannot be finished by its worker');

-- Synchronous runs (the sidecar): running at once, no job, finished only by their caller.
SELECT tests.login_as('member_a');
CREATE TEMP TABLE t_sync ON COMMIT DROP AS
    SELECT * FROM app.start_sync_ai_request(tests.uid('prompt_a'), '{"text": "now", "words": 1}');
GRANT SELECT ON t_sync TO PUBLIC;
SELECT is((SELECT (status, attempts, job_id IS NULL)::text FROM t_sync), '(running,1,t)', 'a synchronous run has no job');
SELECT tests.login_as('admin_a');
SELECT throws_ok(format($$SELECT app.finish_ai_request(%L, 1, 'succeeded', 'x')$$, (SELECT id FROM t_sync)), 'PT409',
                 NULL, 'another user cannot finish it');
SELECT tests.login_as('member_a');
SELECT is((SELECT status FROM app.finish_ai_request((SELECT id FROM t_sync), 1, 'succeeded', 'x')), 'succeeded',
          'its caller finishes it');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT app.start_sync_ai_request(tests.uid('prompt_a'), '{"text": "x", "words": 1}')$$, '42501', NULL,
                 'viewers cannot run prompts synchronously either');

SELECT * FROM finish();
ROLLBACK;
