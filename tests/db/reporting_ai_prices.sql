-- reporting.ai_prices: the analyst reads prices with the period each was in force.
BEGIN;
SELECT plan(3);

SET LOCAL ROLE analyst;
SELECT is((SELECT (input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok)::text
           FROM reporting.ai_prices WHERE model = 'gpt-4o-mini'), '(0.150000,0.600000,0.075000,0.150000)',
          'the analyst reads prices, cache rates defaulting to the input rate');
SELECT is((SELECT effective_until FROM reporting.ai_prices WHERE model = 'gpt-4o' AND input_per_mtok = 5),
          '2024-10-02Z'::timestamptz, 'a superseded price shows when it stopped applying');
SELECT throws_ok('SELECT * FROM app.ai_prices', '42501', NULL, 'but not the app table itself');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
