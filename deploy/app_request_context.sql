-- Deploy taproot:app_request_context to pg
-- requires: app_schema
-- Who is calling (from the gateway's request.jwt.claims) and how a function answers with an
-- HTTP error while still committing its side effects (PostgREST's response.status GUC).
BEGIN;

CREATE FUNCTION app.current_user_id()
RETURNS uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
                  ->> 'sub', '')::uuid
$$;
COMMENT ON FUNCTION app.current_user_id() IS
    'The signed-in user (claim sub of request.jwt.claims), or NULL for anonymous and service calls';
GRANT EXECUTE ON FUNCTION app.current_user_id() TO authenticated, service_role, worker;

CREATE FUNCTION app.current_session_id()
RETURNS uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
                  ->> 'session_id', '')::uuid
$$;
COMMENT ON FUNCTION app.current_session_id() IS 'The login session of the caller (claim session_id)';
GRANT EXECUTE ON FUNCTION app.current_session_id() TO authenticated;

-- Raising an exception rolls back the transaction. Where the failure itself must be kept
-- (a failed login counts towards throttling; reuse of a refresh token revokes the session),
-- a function sets response.status and returns an error body in PostgREST's shape instead.
CREATE FUNCTION app.http_error(status integer, code text, message text,
                               details text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS json
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    SELECT pg_catalog.json_build_object('code', code, 'message', message,
                                        'details', details, 'hint', hint)
    FROM (SELECT pg_catalog.set_config('response.status', status::text, true)) AS s
$$;
COMMENT ON FUNCTION app.http_error(integer, text, text, text, text) IS
    'Set response.status and return {code, message, details, hint}; for definer functions only';

COMMIT;
