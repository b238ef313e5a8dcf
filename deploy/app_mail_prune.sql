-- Deploy taproot:app_mail_prune to pg
-- requires: app_mail
-- Retention for the mail record: messages that left the queue (sent, kept in the local
-- inbox, failed for good) are deleted after the retention the worker's schedule passes.
-- Queued ones are never pruned: their job may still deliver them.
BEGIN;

CREATE FUNCTION app.prune_mail(p_keep interval DEFAULT '30 days')
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    WITH gone AS (
        DELETE FROM app.mail_messages m
        WHERE m.status <> 'queued' AND m.created_at < pg_catalog.now() - p_keep
        RETURNING 1
    )
    SELECT pg_catalog.count(*) FROM gone
$$;
COMMENT ON FUNCTION app.prune_mail(interval) IS
    'Delete account mail that left the queue (sent, kept, failed) more than p_keep ago; returns how many';
REVOKE EXECUTE ON FUNCTION app.prune_mail(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.prune_mail(interval) TO worker;

COMMIT;
