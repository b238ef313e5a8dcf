-- app.settle_ai_usage(bigint[]): many rows in one statement, each exactly once, only the
-- rows the caller may settle (others are skipped and left pending for the sweeper).
BEGIN;
SELECT plan(8);
SELECT tests.make_world();

CREATE TEMP TABLE t_usage (label text PRIMARY KEY, id bigint);
GRANT ALL ON t_usage TO PUBLIC;
CREATE FUNCTION pg_temp.record(p_workspace uuid, p_tokens integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM app.record_ai_usage(p_workspace, NULL, NULL, 'chat', 'openai', 'gpt-4o-mini', NULL,
                                       p_tokens, 0, 0, 0, 0, false, false, 'ok', 1)
$$;
CREATE FUNCTION pg_temp.used_today(p_workspace uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(tokens_in), 0) FROM api.usage_daily
    WHERE workspace_id = p_workspace AND day = (now() AT TIME ZONE 'UTC')::date
$$;
GRANT EXECUTE ON FUNCTION pg_temp.record(uuid, integer), pg_temp.used_today(uuid) TO PUBLIC;

SELECT tests.login_as('member_a');
INSERT INTO t_usage VALUES ('a1', pg_temp.record(tests.uid('workspace_a'), 10)),
                           ('a2', pg_temp.record(tests.uid('workspace_a'), 20));
SELECT tests.login_as('member_b');
INSERT INTO t_usage VALUES ('b1', pg_temp.record(tests.uid('workspace_b'), 40));

SELECT tests.login_as('member_a');
SET LOCAL synchronous_commit = on;
SELECT set_config('app.ai_ledger_written', 'off', true);  -- as in the settler's own transaction
SELECT is(app.settle_ai_usage((SELECT array_agg(id) FROM t_usage)), 2,
          'a member settles the rows of its workspace, skipping the others');
SELECT is(current_setting('synchronous_commit'), 'off', 'asynchronously');
SELECT is(app.settle_ai_usage((SELECT array_agg(id) FROM t_usage) || 999999999::bigint), 0,
          'twice (or an unknown id): nothing more');
SELECT tests.clear_authentication();
SELECT is(pg_temp.used_today(tests.uid('workspace_a')), 30::bigint, 'both rows counted once');
SELECT is(pg_temp.used_today(tests.uid('workspace_b')), 0::bigint, 'B''s row not by A''s member');
SELECT is((SELECT count(*) FROM app.ai_usage_pending WHERE usage_id = (SELECT id FROM t_usage WHERE label = 'b1')),
          1::bigint, 'it stays pending for its caller or the sweeper');
SELECT tests.login_as('member_b');
SELECT is(app.settle_ai_usage(ARRAY[(SELECT id FROM t_usage WHERE label = 'b1')]), 1, 'its own caller settles it');
SELECT tests.clear_authentication();
SELECT is(pg_temp.used_today(tests.uid('workspace_b')), 40::bigint, 'once');

SELECT * FROM finish();
ROLLBACK;
