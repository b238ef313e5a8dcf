-- The settings every sidecar transaction starts with, as the gateway sets them.

-- name: set_context
-- Role and claims transaction-local (like SET LOCAL), in one round trip; request.id is the
-- HTTP request's X-Request-Id (audit rows and jobs keep it, as behind the gateway).
SELECT set_config('role', %(role)s, true),
       set_config('request.jwt.claims', %(claims)s, true),
       set_config('request.method', %(method)s, true),
       set_config('request.path', %(path)s, true),
       set_config('request.id', %(request_id)s, true);

-- name: set_secrets_key
-- The provider secrets key, for app.provider_credential; never logged (see
-- authenticator_log_parameters).
SELECT set_config('app.secrets_key', %(key)s, true);

-- name: ping
SELECT 1;
