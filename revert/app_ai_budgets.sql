-- Revert taproot:app_ai_budgets from pg
BEGIN;

DROP FUNCTION app.release_expired_reservations();
DROP FUNCTION app.release_budget(uuid);
DROP FUNCTION app.unhold_reservation(uuid, date, uuid, bigint);
DROP FUNCTION app.reserve_budget(uuid, uuid, bigint, uuid, interval);
DROP FUNCTION app.commit_asynchronously();
DROP TABLE app.budget_reservations;

-- app.check_token_quota as api_usage_daily defined it.
CREATE OR REPLACE FUNCTION app.check_token_quota(p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    quota bigint;
    used  bigint;
BEGIN
    SELECT w.daily_token_quota INTO quota FROM api.workspaces w WHERE w.id = p_workspace_id;
    SELECT coalesce(pg_catalog.sum(u.tokens_in + u.tokens_out), 0) INTO used
    FROM api.usage_daily u
    WHERE u.workspace_id = p_workspace_id AND u.day = (pg_catalog.now() AT TIME ZONE 'UTC')::date;
    IF used >= quota THEN
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = pg_catalog.format('the workspace has used its daily token quota (%s of %s tokens)',
                                              used, quota),
                  HINT = 'Try again tomorrow (UTC), or ask for a higher quota.';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_token_quota(uuid) IS
    'Raise PT429 (HTTP 429) when the workspace has used today''s token quota';

ALTER TABLE api.usage_daily DROP COLUMN tokens_reserved;

COMMIT;
