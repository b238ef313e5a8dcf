-- Statements of the per-request transaction and of the health routes.

-- name: set_context
-- Every request-scoped setting in one round trip, transaction-local like SET LOCAL.
-- request.id (Taproot's, not PostgREST's) is the request's X-Request-Id: audit rows, jobs
-- deferred by the request and the statement log (%{request.id} is not in log_line_prefix,
-- but application code and triggers read it with current_setting) correlate with it.
SELECT set_config('search_path', $1, true),
       set_config('role', $2, true),
       set_config('request.jwt.claims', $3, true),
       set_config('request.method', $4, true),
       set_config('request.path', $5, true),
       set_config('request.headers', $6, true),
       set_config('request.cookies', $7, true),
       set_config('request.id', $8, true),
       -- the impersonated role's own settings (ALTER ROLE … SET), as PostgREST applies them
       (SELECT count(set_config(s.name, s.value, true)) FROM unnest($9::text[], $10::text[]) AS s(name, value));

-- name: role_settings
-- ALTER ROLE … SET (for every database or this one) of the roles requests may switch to;
-- the gateway owns search_path and role, so those are not taken.
SELECT r.rolname AS role, split_part(c.setting, '=', 1) AS name,
       substr(c.setting, strpos(c.setting, '=') + 1) AS value
FROM pg_db_role_setting s
JOIN pg_roles r ON r.oid = s.setrole
CROSS JOIN LATERAL unnest(s.setconfig) AS c(setting)
WHERE s.setdatabase IN (0, (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
  AND split_part(c.setting, '=', 1) NOT IN ('search_path', 'role', 'session_authorization')
ORDER BY r.rolname, s.setdatabase;

-- name: set_timezone
SELECT set_config('timezone', $1, true);

-- name: ping
SELECT 1;

-- name: accessible_relations
-- OpenAPI in follow-privileges mode: what the request's role may read or write.
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')
       OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE'));

-- name: accessible_functions
SELECT p.oid::bigint AS oid
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND has_function_privilege(p.oid, 'EXECUTE');

-- name: function_settings
-- The SET clauses of the exposed functions (CREATE FUNCTION … SET statement_timeout = '1s'):
-- db-hoisted-tx-settings picks which of them an RPC call applies to its whole transaction,
-- and default_transaction_isolation becomes the transaction's isolation level.
SELECT p.oid::bigint AS oid,
       split_part(c.setting, '=', 1) AS name,
       substr(c.setting, strpos(c.setting, '=') + 1) AS value
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL unnest(p.proconfig) WITH ORDINALITY AS c(setting, ord)
WHERE n.nspname = ANY($1::text[])
ORDER BY p.oid, c.ord;
