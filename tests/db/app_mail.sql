-- app_mail: account mail is queued with its job in the caller's transaction, validated,
-- readable by the worker only, claimed once per attempt, never sent twice, and its one-time
-- token is scrubbed as soon as it leaves the queue.
BEGIN;
SELECT plan(35);

-- Who may touch it.
SELECT is(array_agg(r ORDER BY r), NULL, 'no client role holds any privilege on app.mail_messages')
FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'analyst']) r
WHERE has_any_column_privilege(r, 'app.mail_messages', 'SELECT, INSERT, UPDATE, REFERENCES')
   OR has_table_privilege(r, 'app.mail_messages', 'DELETE');
SELECT is(array_agg(r ORDER BY r), NULL, 'no role but the owner can queue mail')
FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) r
WHERE has_function_privilege(r, 'app.queue_mail(text, text, jsonb)', 'EXECUTE');
SELECT ok(has_function_privilege('worker', 'app.claim_mail(bigint)', 'EXECUTE')
          AND has_function_privilege('worker', 'app.finish_mail(bigint, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('authenticated', 'app.claim_mail(bigint)', 'EXECUTE')
          AND NOT has_function_privilege('service_role', 'app.finish_mail(bigint, text, text)', 'EXECUTE'),
          'only the worker claims and finishes mail');
SELECT ok(NOT has_table_privilege('worker', 'app.mail_messages', 'INSERT')
          AND NOT has_table_privilege('worker', 'app.mail_messages', 'DELETE'),
          'the worker can neither add nor delete mail');
SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'app.queue_mail(text, text, jsonb)'::regprocedure), true,
          'queue_mail runs as its owner, so token issuers need no grant on the table');

-- Queueing: the message, its job, the request that queued it.
SELECT set_config('request.id', 'req-mail-1', true);
CREATE TEMP TABLE t_mail AS
    SELECT app.queue_mail('invitation', 'New.Person@Example.com',
                          '{"token": "raw-token-1", "expires_at": "2026-12-10T00:00:00Z", "workspace_name": "Acme",
                            "inviter_name": "Alice", "role": "member"}') AS id;
GRANT SELECT ON t_mail TO PUBLIC;
SELECT is((SELECT (status, attempts, template, recipient::text, data->>'token', http_request_id, sent_at IS NULL)::text
           FROM app.mail_messages WHERE id = (SELECT id FROM t_mail)),
          ('queued', 0, 'invitation', 'New.Person@Example.com', 'raw-token-1', 'req-mail-1', true)::text,
          'queue_mail stores a queued message with its data and request id');
SELECT is((SELECT (j.task_name, j.queue_name, j.status::text, j.args, j.lock)::text
           FROM procrastinate.procrastinate_jobs j JOIN app.mail_messages m ON m.job_id = j.id
           WHERE m.id = (SELECT id FROM t_mail)),
          ('mail.send', 'mail', 'todo', jsonb_build_object('message_id', (SELECT id FROM t_mail)),
           'mail:' || (SELECT id FROM t_mail))::text,
          'its job runs mail.send on queue mail with the message id, locked per message');
SELECT is((SELECT r.http_request_id FROM app.job_requests r JOIN app.mail_messages m ON m.job_id = r.job_id
           WHERE m.id = (SELECT id FROM t_mail)), 'req-mail-1', 'the job keeps the request id too');
SELECT set_config('request.id', '', true);

SAVEPOINT before_queue;
SELECT app.queue_mail('password_reset', 'rolled@back.example', '{"token": "t", "expires_at": "x"}');
ROLLBACK TO SAVEPOINT before_queue;
SELECT is((SELECT count(*)::int FROM procrastinate.procrastinate_jobs j WHERE j.task_name = 'mail.send'
             AND NOT EXISTS (SELECT 1 FROM app.mail_messages m WHERE m.job_id = j.id)), 0,
          'a rolled-back transaction leaves neither message nor job');

SELECT lives_ok($$SELECT app.queue_mail('verify_email', 'a@b.example', '{"token": "t", "expires_at": "x", "name": "A"}')$$,
                'verify_email is a known template');
SELECT lives_ok($$SELECT app.queue_mail('email_change', 'new@b.example',
                                        '{"token": "t", "expires_at": "x", "name": "A", "new_email": "new@b.example"}')$$,
                'email_change is a known template');

-- Readable refusals.
SELECT throws_ok($$SELECT app.queue_mail('newsletter', 'a@b.example', '{"token": "t", "expires_at": "x"}')$$,
                 '22023', 'mail template ''newsletter'' is not known', 'an unknown template is refused');
SELECT throws_ok($$SELECT app.queue_mail(NULL, 'a@b.example', '{}')$$,
                 '22023', 'mail template NULL is not known', 'a missing template is refused');
SELECT throws_ok($$SELECT app.queue_mail('invitation', 'not-an-address', '{"token": "t", "expires_at": "x"}')$$,
                 '22023', 'the mail recipient ''not-an-address'' is not an email address', 'a bad address is refused');
SELECT throws_ok($$SELECT app.queue_mail('invitation', E'a@b.example\r\nBcc: x@y.example', '{"token": "t", "expires_at": "x"}')$$,
                 '22023', NULL, 'an address carrying a header line is refused');
SELECT throws_ok($$SELECT app.queue_mail('invitation', NULL, '{"token": "t", "expires_at": "x"}')$$,
                 '22023', 'the mail recipient NULL is not an email address', 'a missing address is refused');
SELECT throws_ok($$SELECT app.queue_mail('invitation', 'a@b.example', '[1]')$$,
                 '22023', 'the data of a invitation mail must be a JSON object', 'data must be an object');
SELECT throws_ok($$SELECT app.queue_mail('email_change', 'a@b.example', '{"token": "", "expires_at": "x"}')$$,
                 '22023', 'the data of a email_change mail lacks new_email, token', 'required keys are named');

-- Clients cannot reach it.
SELECT tests.authenticate_as('authenticated');
SELECT throws_ok($$SELECT app.queue_mail('invitation', 'a@b.example', '{"token": "t", "expires_at": "x"}')$$,
                 '42501', NULL, 'a signed-in client cannot queue mail');
SELECT throws_ok($$SELECT * FROM app.mail_messages$$, '42501', NULL, 'a signed-in client cannot read mail');
SELECT tests.authenticate_as('service_role');
SELECT throws_ok($$SELECT * FROM app.mail_messages$$, '42501', NULL, 'the service role cannot read mail');

-- The worker's side, with the search_path its connections set.
SELECT tests.authenticate_as('worker');
SET LOCAL search_path = procrastinate, public, pg_catalog;  -- public: pgTAP
SELECT is((SELECT (attempt, template, recipient, data->>'token', http_request_id)::text
           FROM app.claim_mail((SELECT id FROM t_mail))),
          (1, 'invitation', 'New.Person@Example.com', 'raw-token-1', 'req-mail-1')::text,
          'claiming a queued message starts attempt 1 with what the mail needs');
SELECT is(app.finish_mail((SELECT id FROM t_mail), 'queued', 'smtp: connection refused'), true,
          'a failed attempt goes back to the queue');
SELECT is((SELECT (status, last_error, data->>'token')::text FROM app.mail_messages WHERE id = (SELECT id FROM t_mail)),
          ('queued', 'smtp: connection refused', 'raw-token-1')::text, 'it keeps the token and says why it failed');
SELECT is((SELECT attempt FROM app.claim_mail((SELECT id FROM t_mail))), 2, 'the retry is attempt 2');
SELECT is(app.finish_mail((SELECT id FROM t_mail), 'sent'), true, 'the delivered message is marked sent');
SELECT is((SELECT (status, last_error, data ? 'token', data->>'workspace_name', sent_at IS NOT NULL)::text
           FROM app.mail_messages WHERE id = (SELECT id FROM t_mail)),
          ('sent', NULL, false, 'Acme', true)::text, 'sent: the token is scrubbed, the rest kept, sent_at set');
SELECT is((SELECT count(*)::int FROM app.claim_mail((SELECT id FROM t_mail))), 0,
          'a sent message cannot be claimed again (a duplicated job sends nothing)');
SELECT is(app.finish_mail((SELECT id FROM t_mail), 'failed', 'late'), false, 'nor its outcome changed');
SELECT throws_ok(format('SELECT app.finish_mail(%s, %L)', (SELECT id FROM t_mail), 'bounced'), '22023',
                 'a mail attempt ends sent, kept, failed or queued (to retry), not bounced', 'an unknown outcome is refused');
SELECT throws_ok($$INSERT INTO app.mail_messages (template, recipient) VALUES ('invitation', 'x@y.example')$$,
                 '42501', NULL, 'the worker cannot add mail');

SELECT tests.clear_authentication();
SELECT set_config('search_path', '"$user", public', true);
CREATE TEMP TABLE t_more AS
    SELECT app.queue_mail('password_reset', 'p@r.example', '{"token": "raw-2", "expires_at": "x", "name": "P"}') AS failing,
           app.queue_mail('verify_email', 'k@r.example', '{"token": "raw-3", "expires_at": "x", "name": "K"}') AS keeping;
GRANT SELECT ON t_more TO PUBLIC;
SELECT tests.authenticate_as('worker');
SELECT app.claim_mail((SELECT failing FROM t_more));
SELECT is(app.finish_mail((SELECT failing FROM t_more), 'failed', '550 no such user'), true, 'a rejected message fails');
SELECT app.claim_mail((SELECT keeping FROM t_more));
SELECT is(app.finish_mail((SELECT keeping FROM t_more), 'kept'), true, 'a message written to the local inbox is kept');
SELECT is((SELECT array_agg((status, data ? 'token', data->>'name', last_error, sent_at IS NOT NULL)::text ORDER BY id)
           FROM app.mail_messages WHERE id IN ((SELECT failing FROM t_more), (SELECT keeping FROM t_more))),
          ARRAY[('failed', false, 'P', '550 no such user', false)::text, ('kept', false, 'K', NULL, true)::text],
          'failed and kept messages lose their token too');
SELECT tests.clear_authentication();
SELECT throws_ok($$UPDATE app.mail_messages SET data = data || '{"token": "again"}' WHERE status = 'sent'$$,
                 '23514', NULL, 'a message out of the queue cannot hold a token');

SELECT * FROM finish();
ROLLBACK;
