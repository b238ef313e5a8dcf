-- Deploy taproot:reporting_request_latency to pg
-- requires: reporting_schema, api_ai_requests, api_prompt_versions
-- Latency percentiles of finished AI requests, per UTC day and model, in milliseconds:
-- queue (created -> started), run (started -> finished) and total (created -> finished).
BEGIN;

CREATE VIEW reporting.request_latency AS
    SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, v.model, count(*) AS requests,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.created_at) * 1000) AS queue_p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.created_at) * 1000) AS queue_p95_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at) * 1000) AS run_p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at) * 1000) AS run_p95_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at) * 1000) AS run_p99_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at) * 1000) AS total_p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at) * 1000) AS total_p95_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at) * 1000) AS total_p99_ms
    FROM api.ai_requests r
    JOIN api.prompt_versions v ON v.id = r.prompt_version_id
    WHERE r.status IN ('succeeded', 'failed') AND r.started_at IS NOT NULL
    GROUP BY 1, 2;
COMMENT ON VIEW reporting.request_latency IS
    'Per UTC day and model: p50/p95(/p99) of queue, run and total latency (ms) of finished AI requests';
GRANT SELECT ON reporting.request_latency TO analyst;

COMMIT;
