-- Deploy taproot:app_audit_log to pg
-- requires: app_schema, app_request_context
-- Who did what: auth events (sign-up, login, refresh, logout) and admin actions (invitations,
-- memberships, workspaces, provider secrets). Written only by definer functions and triggers.
BEGIN;

CREATE TABLE app.audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,
    actor_role   text NOT NULL,
    workspace_id uuid,
    action       text NOT NULL
        CONSTRAINT audit_log_action_format CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type  text,
    target_id    uuid,
    details      jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT audit_log_details_object CHECK (jsonb_typeof(details) = 'object')
);
COMMENT ON TABLE app.audit_log IS
    'Append-only log of auth events and admin actions; no foreign keys so entries outlive their subjects';
CREATE INDEX audit_log_workspace_id_at_idx ON app.audit_log (workspace_id, at);
CREATE INDEX audit_log_actor_id_at_idx ON app.audit_log (actor_id, at);
CREATE INDEX audit_log_action_at_idx ON app.audit_log (action, at);

CREATE FUNCTION app.audit(p_action text, p_workspace_id uuid DEFAULT NULL,
                          p_target_type text DEFAULT NULL, p_target_id uuid DEFAULT NULL,
                          p_details jsonb DEFAULT '{}', p_actor_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    INSERT INTO app.audit_log (actor_id, actor_role, workspace_id, action, target_type,
                               target_id, details)
    VALUES (coalesce(p_actor_id, app.current_user_id()),
            coalesce(nullif(pg_catalog.current_setting('role'), 'none'), pg_catalog.session_user()::text),
            p_workspace_id, p_action, p_target_type, p_target_id, coalesce(p_details, '{}'));
$$;
COMMENT ON FUNCTION app.audit(text, uuid, text, uuid, jsonb, uuid) IS
    'Append to app.audit_log; the actor defaults to the signed-in user';

-- Generic row trigger for admin actions: action = <table>.<created|updated|deleted>;
-- TG_ARGV[0] names the target id column, the other arguments columns kept in details
-- (for updates, their previous values under "old").
CREATE FUNCTION app.audit_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    row_data jsonb;
    old_data jsonb;
    details  jsonb := '{}';
    previous jsonb := '{}';
    i        integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_data := pg_catalog.to_jsonb(OLD);
    ELSE
        row_data := pg_catalog.to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        old_data := pg_catalog.to_jsonb(OLD);
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        details := details || pg_catalog.jsonb_build_object(TG_ARGV[i], row_data -> TG_ARGV[i]);
        IF old_data IS NOT NULL AND (old_data -> TG_ARGV[i]) IS DISTINCT FROM (row_data -> TG_ARGV[i]) THEN
            previous := previous || pg_catalog.jsonb_build_object(TG_ARGV[i], old_data -> TG_ARGV[i]);
        END IF;
    END LOOP;
    IF previous <> '{}' THEN
        details := details || pg_catalog.jsonb_build_object('old', previous);
    END IF;
    PERFORM app.audit(TG_TABLE_NAME || '.' || CASE TG_OP WHEN 'INSERT' THEN 'created'
                                                         WHEN 'UPDATE' THEN 'updated'
                                                         ELSE 'deleted' END,
                      (row_data ->> 'workspace_id')::uuid, TG_TABLE_NAME,
                      (row_data ->> TG_ARGV[0])::uuid, details);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.audit_row_change() IS
    'AFTER row trigger: audit <table>.<created|updated|deleted> with the listed columns';

COMMIT;
