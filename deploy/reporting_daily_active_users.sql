-- Deploy taproot:reporting_daily_active_users to pg
-- requires: reporting_schema, app_audit_log, api_ai_requests
-- A user is active on a UTC day when they signed up, logged in, refreshed a token or made an
-- AI request that day.
BEGIN;

CREATE VIEW reporting.daily_active_users AS
    SELECT activity.day, count(DISTINCT activity.user_id) AS active_users
    FROM (
        SELECT (a.at AT TIME ZONE 'UTC')::date AS day, a.actor_id AS user_id
        FROM app.audit_log a
        WHERE a.action IN ('auth.signup', 'auth.login', 'auth.refresh') AND a.actor_id IS NOT NULL
        UNION ALL
        SELECT (r.created_at AT TIME ZONE 'UTC')::date, r.requested_by
        FROM api.ai_requests r
        WHERE r.requested_by IS NOT NULL
    ) AS activity
    GROUP BY activity.day;
COMMENT ON VIEW reporting.daily_active_users IS
    'Per UTC day: distinct users who signed up, logged in, refreshed a session or made an AI request';
GRANT SELECT ON reporting.daily_active_users TO analyst;

COMMIT;
