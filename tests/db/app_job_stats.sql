-- app.rollup_usage: past days only; recounts a day from its settled ledger rows, so a row still
-- pending is not counted there and adds itself, once, when it is settled.
BEGIN;
SELECT plan(5);
SELECT tests.make_world();
CREATE TEMP TABLE t_usage (label text PRIMARY KEY, id bigint);
CREATE FUNCTION pg_temp.day_row(p_day date) RETURNS text LANGUAGE sql AS $$
    SELECT (requests, tokens_in, tokens_out)::text FROM api.usage_daily
    WHERE workspace_id = tests.uid('workspace_a') AND day = p_day
$$;

-- Two calls, one settled; both moved to yesterday (the ledger is immutable: only this test may)
INSERT INTO t_usage SELECT 'settled', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat',
    'openai', 'gpt-4o-mini', NULL, 100, 10, 0, 0, 0, false, false, 'ok', 1);
INSERT INTO t_usage SELECT 'pending', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat',
    'openai', 'gpt-4o-mini', NULL, 200, 20, 0, 0, 0, false, false, 'ok', 1);
SELECT app.settle_ai_usage((SELECT id FROM t_usage WHERE label = 'settled'));
ALTER TABLE api.ai_usage DISABLE TRIGGER ai_usage_immutable;
UPDATE api.ai_usage SET created_at = created_at - interval '1 day' WHERE workspace_id = tests.uid('workspace_a');
ALTER TABLE api.ai_usage ENABLE TRIGGER ai_usage_immutable;

SELECT is(app.rollup_usage((now() AT TIME ZONE 'UTC')::date), 0, 'today is left to the settlements');
SELECT tests.authenticate_as('worker');
SELECT is(app.rollup_usage((now() AT TIME ZONE 'UTC')::date - 1), 1, 'the worker recounts yesterday');
SELECT tests.clear_authentication();
SELECT is(pg_temp.day_row((now() AT TIME ZONE 'UTC')::date - 1), '(1,100,10)', 'from its settled rows only');
SELECT tests.authenticate_as('worker');
SELECT is(app.settle_pending_usage(interval '0'), 1, 'the pending row is settled later');
SELECT tests.clear_authentication();
SELECT is(pg_temp.day_row((now() AT TIME ZONE 'UTC')::date - 1), '(2,300,30)',
          'on the day it was recorded, counted once');

SELECT * FROM finish();
ROLLBACK;
