-- What the sidecar asks PostgreSQL around one AI call. Each runs under the caller's role.

-- name: authenticate_api_key
-- As anon: the key's identity and limits; no row for an unknown or revoked key.
SELECT key_id, workspace_id, user_id, requests_per_minute, tokens_per_minute
FROM app.authenticate_api_key(%(key)s);

-- name: may_call_ai
-- Owners, admins and members call models (an API key: its own workspace only); viewers
-- only read. `manages`: owners and admins see the provider set-up. The workspace's
-- routes (RLS: members read them) come along, so a call needs no second transaction
-- to resolve its model.
SELECT app.may_run_ai(%(workspace_id)s) AS allowed,
       app.has_workspace_role(%(workspace_id)s, '{owner,admin}') AS manages,
       (SELECT coalesce(json_agg(json_build_object(
                   'model', r.model, 'credential', r.credential,
                   'upstream_model', coalesce(r.upstream_model, r.model))
                 ORDER BY r.model, r.position), '[]')
        FROM api.ai_routes r WHERE r.workspace_id = %(workspace_id)s) AS routes;

-- name: begin_ai_call
-- Before the provider call, in one statement: caller check, manages, the model's routes, the
-- cache (cache_digest: a digest of the request; the entry's key also names the first
-- route's upstream model) and, on a miss, the API key's rate and the budget reservation.
SELECT app.begin_ai_call(%(workspace_id)s, %(model)s, %(cache_digest)s, %(tokens)s,
                         %(input_tokens)s, %(request_id)s,
                         make_interval(secs => %(ttl_seconds)s)) AS call;

-- name: provider_credential
SELECT app.provider_credential(%(workspace_id)s, %(provider)s) AS secret;

-- name: debit_api_key_tokens
SELECT app.debit_api_key_tokens(%(tokens)s);

-- name: release_budget
SELECT app.release_budget(%(reservation_id)s);

-- name: record_usage
-- The durable ledger row (cost computed in SQL); only what the callers use comes back.
SELECT u.id, u.cost
FROM app.record_ai_usage(
    %(workspace_id)s, %(request_id)s, %(reservation_id)s, %(endpoint)s, %(provider)s,
    %(model)s, %(upstream_model)s, %(input)s, %(output)s, %(cached_input)s, %(cache_write)s,
    %(reasoning)s, %(cache_hit)s, %(estimated)s, %(status)s, %(latency_ms)s) AS u;

-- name: settle_usage
-- After the ledger rows committed: counters and reservations, committed asynchronously;
-- the rows of one caller, as that caller (the background settler groups them).
SELECT app.settle_ai_usage(%(usage_ids)s::bigint[]) AS settled;

-- name: cache_lookup
SELECT app.cache_lookup(%(workspace_id)s, %(key)s) AS response;

-- name: cache_store
SELECT app.cache_store(%(workspace_id)s, %(key)s, %(response)s, %(ttl_seconds)s);

-- name: route_names
-- The workspace's routes (RLS: members read them), in fallback order per model.
SELECT model, position, credential, coalesce(upstream_model, model) AS upstream_model
FROM api.ai_routes
WHERE workspace_id = %(workspace_id)s
ORDER BY model, position;
