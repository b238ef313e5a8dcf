-- Verify taproot:reporting_usage_by_workspace on pg
BEGIN;

SELECT day, workspace_id, workspace_name, requests, tokens_in, tokens_out, tokens_total, cost,
       cache_hits, daily_token_quota, quota_used_pct
FROM reporting.usage_by_workspace WHERE false;

ROLLBACK;
