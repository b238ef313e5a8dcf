-- app.ai_prices and app.ai_cost: the arithmetic (cached and cache-write tokens are part of the
-- input, at their own rates), price versions, and who reads and writes prices.
BEGIN;
SELECT plan(16);

SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now(), 1000000, 1000000, 0, 0), 0.750000::numeric,
          'gpt-4o-mini: 1M in at 0.15 + 1M out at 0.60');
SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now(), 1000000, 0, 400000, 0)::text, '0.120000',
          'cached input is part of the input, at the cached rate: 600k x 0.15 + 400k x 0.075');
SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now(), 100000, 0, 0, 100000), 0.015::numeric,
          'a NULL cache-write rate is the input rate');
SELECT is(app.ai_cost('anthropic', 'claude-3-5-haiku-20241022', now(), 1000000, 100000, 200000, 300000), 1.116::numeric,
          'claude-3-5-haiku: 500k in x 0.80 + 200k cached x 0.08 + 300k cache writes x 1.00 + 100k out x 4.00');
SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now(), 3, 1, 0, 0), 0.000001::numeric,
          'costs are rounded to six decimals (1.05e-6)');
SELECT is(app.ai_cost('openai', 'gpt-4o', '2024-06-01Z', 1000000, 0, 0, 0), 5.00::numeric,
          'gpt-4o in June 2024: the first price version');
SELECT is(app.ai_cost('openai', 'gpt-4o', '2025-01-01Z', 1000000, 0, 0, 0), 2.50::numeric,
          'gpt-4o in 2025: the later version');
SELECT is(app.ai_cost('openai', 'gpt-4o', '2024-01-01Z', 1000000, 0, 0, 0), 0::numeric,
          'before any price was in force: 0');
SELECT is(app.ai_cost('openai', 'no-such-model', now(), 1000000, 1000000, 0, 0), 0::numeric, 'unknown model: 0');
SELECT is(app.ai_cost('fake', 'fake-chat', now(), 1000000, 1000000, 0, 0), 0::numeric, 'fake models cost nothing');

SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('member_a')));
SELECT ok((SELECT count(*) > 10 FROM app.ai_prices), 'signed-in users read prices');
SELECT throws_ok($$INSERT INTO app.ai_prices VALUES ('openai', 'x', now(), 1, 1, NULL, NULL)$$, '42501', NULL,
                 'users cannot add prices');
SELECT tests.authenticate_as('worker');
SELECT ok((SELECT count(*) > 10 FROM app.ai_prices), 'the worker reads prices');
SELECT tests.authenticate_as('service_role');
SELECT lives_ok($$INSERT INTO app.ai_prices VALUES ('openai', 'gpt-4o-mini', now() - interval '1 second', 1, 2, NULL, NULL)$$,
                'the service role adds a price version');
SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now(), 1000000, 1000000, 0, 0), 3::numeric,
          'which applies from its effective_from on');
SELECT is(app.ai_cost('openai', 'gpt-4o-mini', now() - interval '1 day', 1000000, 1000000, 0, 0), 0.75::numeric,
          'while earlier calls keep the old price');

SELECT * FROM finish();
ROLLBACK;
