-- ratelimit.check: the shared GCRA the front doors call as authenticator (admits bursts,
-- then the rate; refused takes cost nothing; keys namespaced away from API-key limits).
BEGIN;
SELECT plan(11);

SELECT is((SELECT (allowed, remaining, retry_after)::text FROM ratelimit.check('t:a', 10, 3)),
          '(t,2,0)', 'the first of a burst of 3 is admitted with 2 left');
SELECT is((SELECT (allowed, remaining)::text FROM ratelimit.check('t:a', 10, 3)), '(t,1)', 'the second leaves 1');
SELECT is((SELECT (allowed, remaining)::text FROM ratelimit.check('t:a', 10, 3)), '(t,0)', 'the third leaves 0');
SELECT ok((SELECT NOT allowed AND retry_after > 0 AND retry_after <= 0.1 AND remaining = 0
             FROM ratelimit.check('t:a', 10, 3)), 'the fourth waits at most one emission interval');
SELECT ok((SELECT reset_after BETWEEN 0.2 AND 0.3 FROM ratelimit.check('t:a', 10, 3)),
          'refused: the quota is whole again in about burst/rate seconds (nothing was taken)');
SELECT pg_sleep(0.11);
SELECT ok((SELECT allowed FROM ratelimit.check('t:a', 10, 3)), 'one emission interval later one more is admitted');
SELECT ok((SELECT allowed FROM ratelimit.check('t:b', 10, 3)), 'other keys are unaffected');
SELECT is((SELECT count(*)::int FROM app.rate_limits WHERE key IN ('rl:t:a', 'rl:t:b')), 2,
          'keys live under the rl: prefix');
SELECT throws_ok($$SELECT * FROM ratelimit.check('t:bad', 0, 1)$$, '22023', NULL, 'a zero rate is refused');

SET LOCAL ROLE authenticator;
SELECT ok((SELECT allowed FROM ratelimit.check('t:c', 1, 1)), 'authenticator may call it');
SELECT throws_ok($$SELECT app.gcra_take('api_key:x:requests', 1, 1)$$, '42501', NULL,
                 'but cannot reach the API-key limits through app.gcra_take');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
