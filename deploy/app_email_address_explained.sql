-- Deploy taproot:app_email_address_explained to pg
-- requires: app_email_domain
-- A malformed email used to answer `value for domain app.email_address violates check
-- constraint "email_address_format"`. A CHECK's own message cannot be customized, but the
-- function a CHECK calls may RAISE: app.explain_email_address raises the same SQLSTATE
-- (23514, 400) with a sentence naming the field, a detail and a hint. PostgreSQL checks a
-- domain's constraints in name order, so email_address_explained runs before
-- email_address_format, which stays as the last line of defence.
BEGIN;

CREATE FUNCTION app.explain_email_address(p_value text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_value IS NULL THEN
        RETURN true;  -- NOT NULL is the column's business
    END IF;
    IF pg_catalog.length(p_value) > 254 THEN
        RAISE EXCEPTION 'email must be at most 254 characters'
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('It has %s characters.', pg_catalog.length(p_value));
    END IF;
    IF p_value !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' THEN
        RAISE EXCEPTION 'email must be a valid email address'
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('%s is not of the form name@example.com.',
                                             pg_catalog.quote_literal(pg_catalog.left(p_value, 80))),
                  HINT = 'Check for a missing "@" or domain, and for spaces.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION app.explain_email_address(text) IS
    'Domain check of app.email_address that raises a readable 23514 (field, sentence, hint) for a malformed address';
-- Domain checks run with the rights of whoever writes the value: the client roles that
-- write emails directly (POST/PATCH /api/users) and the worker's mail outbox. anon only
-- reaches emails through SECURITY DEFINER functions (signup).
GRANT EXECUTE ON FUNCTION app.explain_email_address(text) TO authenticated, service_role, worker;

ALTER DOMAIN app.email_address
    ADD CONSTRAINT email_address_explained CHECK (app.explain_email_address(VALUE::text));

COMMIT;
