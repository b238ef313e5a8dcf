-- Deploy taproot:reporting_requests_by_status to pg
-- requires: reporting_schema, api_ai_requests, api_workspaces
BEGIN;

CREATE VIEW reporting.requests_by_status AS
    SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, r.workspace_id, w.name AS workspace_name,
           r.status, count(*) AS requests, count(*) FILTER (WHERE r.cache_hit) AS cache_hits,
           sum(r.attempts) AS attempts
    FROM api.ai_requests r
    JOIN api.workspaces w ON w.id = r.workspace_id
    GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW reporting.requests_by_status IS
    'AI requests per UTC day (of creation), workspace and current status, with cache hits and attempts';
GRANT SELECT ON reporting.requests_by_status TO analyst;

COMMIT;
