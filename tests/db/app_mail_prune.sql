-- app_mail_prune: mail that left the queue is pruned after the retention; queued mail never.
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE t_ids AS
    SELECT app.queue_mail('verify_email', 'old-sent@example.com',
                          '{"token": "t1", "expires_at": "2026-12-10T00:00:00Z", "name": "A"}') AS sent_old,
           app.queue_mail('verify_email', 'old-queued@example.com',
                          '{"token": "t2", "expires_at": "2026-12-10T00:00:00Z", "name": "B"}') AS queued_old,
           app.queue_mail('verify_email', 'new-sent@example.com',
                          '{"token": "t3", "expires_at": "2026-12-10T00:00:00Z", "name": "C"}') AS sent_new;
SELECT app.claim_mail(sent_old) FROM t_ids;
SELECT app.finish_mail(sent_old, 'sent', NULL) FROM t_ids;
SELECT app.claim_mail(sent_new) FROM t_ids;
SELECT app.finish_mail(sent_new, 'sent', NULL) FROM t_ids;
UPDATE app.mail_messages SET created_at = now() - interval '40 days'
WHERE id IN (SELECT sent_old FROM t_ids UNION ALL SELECT queued_old FROM t_ids);

SELECT is(app.prune_mail('30 days'), 1::bigint, 'one message left the queue more than 30 days ago');
SELECT is((SELECT count(*) FROM app.mail_messages WHERE id = (SELECT sent_old FROM t_ids)), 0::bigint,
          'the old sent message is gone');
SELECT is((SELECT status FROM app.mail_messages WHERE id = (SELECT queued_old FROM t_ids)), 'queued',
          'an old message still queued is kept: its job may still deliver it');
SELECT is((SELECT status FROM app.mail_messages WHERE id = (SELECT sent_new FROM t_ids)), 'sent',
          'a recent sent message is kept');
SELECT ok(has_function_privilege('worker', 'app.prune_mail(interval)', 'EXECUTE')
          AND NOT has_function_privilege('authenticated', 'app.prune_mail(interval)', 'EXECUTE')
          AND NOT has_function_privilege('anon', 'app.prune_mail(interval)', 'EXECUTE'),
          'only the worker prunes mail');

SELECT * FROM finish();
ROLLBACK;
