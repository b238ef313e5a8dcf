-- The shared GCRA limiter (admits bursts, then the rate; the database clock; refused takes
-- cost nothing) and the per-API-key requests- and tokens-per-minute limits built on it.
BEGIN;
SELECT plan(13);
SELECT tests.make_world();

SELECT is(app.gcra_take('t:burst', 10, 2), 0::double precision, 'the first take of a burst of 2 is admitted');
SELECT is(app.gcra_take('t:burst', 10, 2), 0::double precision, 'so is the second');
SELECT ok(app.gcra_take('t:burst', 10, 2) BETWEEN 0.05 AND 0.1, 'the third waits for the next emission (<= 0.1 s at 10/s)');
SELECT ok(app.gcra_take('t:burst', 10, 2) > 0, 'a refused take costs nothing, so it is refused again at once');
SELECT pg_sleep(0.11);
SELECT is(app.gcra_take('t:burst', 10, 2), 0::double precision, 'one emission interval later, one more is admitted');
SELECT is(app.gcra_take('t:other', 10, 2), 0::double precision, 'other keys are unaffected');
SELECT throws_ok($$SELECT app.gcra_take('t:bad', 0, 1)$$, '22023', NULL, 'a zero rate is refused');

-- API keys: 2 requests and 100 tokens per minute.
SELECT tests.login_as('admin_a');
CREATE TEMP TABLE t_key ON COMMIT DROP AS
    SELECT (api.create_api_key(tests.uid('workspace_a'), 'limited', NULL, 2, 100)->>'id')::uuid AS id;
GRANT SELECT ON t_key TO PUBLIC;
SELECT tests.authenticate_as('authenticated', jsonb_build_object(
    'sub', tests.uid('admin_a'), 'api_key_id', (SELECT id FROM t_key), 'workspace_id', tests.uid('workspace_a')));
SELECT is((SELECT retry_after FROM app.take_api_key_rate(60)), 0::double precision, 'a first call is admitted');
SELECT is((SELECT (retry_after > 0, limit_name)::text FROM app.take_api_key_rate(60)), '(t,"100 tokens per minute")',
          'a second call of 60 input tokens passes 100 tokens per minute');
SELECT is((SELECT retry_after FROM app.take_api_key_rate(10)), 0::double precision,
          'a small one still fits (the refused call took nothing)');
SELECT is((SELECT (retry_after > 0, limit_name)::text FROM app.take_api_key_rate(1)), '(t,"2 requests per minute")',
          'a third request passes 2 requests per minute');
SELECT app.debit_api_key_tokens(500);
SELECT tests.login_as('member_a');
SELECT is((SELECT retry_after FROM app.take_api_key_rate(1000)), 0::double precision,
          'a caller without an API key is not limited here');
SELECT throws_ok($$SELECT app.gcra_take('t:x', 1, 1)$$, '42501', NULL, 'clients cannot take from arbitrary keys');

SELECT * FROM finish();
ROLLBACK;
