-- Deploy taproot:reporting_usage_by_workspace to pg
-- requires: reporting_schema, api_usage_daily, api_workspaces
BEGIN;

CREATE VIEW reporting.usage_by_workspace AS
    SELECT u.day, u.workspace_id, w.name AS workspace_name, u.requests, u.tokens_in, u.tokens_out,
           u.tokens_in + u.tokens_out AS tokens_total, u.cost, u.cache_hits,
           w.daily_token_quota,
           round(100.0 * (u.tokens_in + u.tokens_out) / w.daily_token_quota, 1) AS quota_used_pct
    FROM api.usage_daily u
    JOIN api.workspaces w ON w.id = u.workspace_id;
COMMENT ON VIEW reporting.usage_by_workspace IS
    'Per UTC day and workspace: requests, tokens in/out/total, cost, cache hits and share of the token quota used';
GRANT SELECT ON reporting.usage_by_workspace TO analyst;

COMMIT;
