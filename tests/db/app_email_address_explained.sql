-- app.email_address explains a malformed address in a sentence naming the field, with the
-- offending value and a hint, in the constraint's SQLSTATE (23514, 400); the old format
-- constraint stays behind it.
BEGIN;
SELECT plan(11);
SELECT tests.make_world();

-- The error's fields as the gateway reads them: {code, message, details, hint}.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    code text; message text; detail text; hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN ARRAY[code, message, nullif(detail, ''), nullif(hint, '')];
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

SELECT lives_ok($$SELECT 'Someone.Else@Example.co.uk'::app.email_address$$, 'a well-formed address passes');
SELECT ok(NULL::app.email_address IS NULL, 'null is left to NOT NULL columns');
SELECT throws_ok($$SELECT 'not an email'::app.email_address$$, '23514', 'email must be a valid email address',
                 'a malformed address is named and explained');
SELECT is(pg_temp.error_of($$SELECT 'not an email'::app.email_address$$),
          ARRAY['23514', 'email must be a valid email address',
                '''not an email'' is not of the form name@example.com.',
                'Check for a missing "@" or domain, and for spaces.'],
          'with the value in the detail and a hint');
SELECT throws_ok($$SELECT 'a@b'::app.email_address$$, '23514', 'email must be a valid email address',
                 'a domain without a dot is refused');
SELECT throws_ok($$SELECT 'a b@example.com'::app.email_address$$, '23514', 'email must be a valid email address',
                 'so is a space');
SELECT is(pg_temp.error_of(format($$SELECT %L::app.email_address$$, repeat('a', 250) || '@example.com')),
          ARRAY['23514', 'email must be at most 254 characters', 'It has 262 characters.', NULL],
          'an address over 254 characters says so and how long it is');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE contypid = 'app.email_address'::regtype
                  AND conname = 'email_address_format'), 'the format constraint stays as the last line of defence');

-- Every path that takes an email answers the same sentence.
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.signup('not an email', 'a long enough password')$$, '23514',
                 'email must be a valid email address', 'signup explains a malformed email');
SELECT tests.login_as('admin_a');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('nope', 'Nope')$$, '23514',
                 'email must be a valid email address', 'POST /api/users explains it');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'nope@nowhere')$$, '23514',
                 'email must be a valid email address', 'invite_member explains it');

SELECT * FROM finish();
ROLLBACK;
