-- Deploy taproot:app_events to pg
-- requires: app_schema, app_request_context
-- The events outbox: one row per change clients may want to hear about, plus a NOTIFY on
-- channel taproot_events so the real-time fan-out does not have to poll.
BEGIN;

CREATE TABLE app.events (
    id           bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL,
    topic        text NOT NULL CONSTRAINT events_topic_format CHECK (topic ~ '^[a-z_]+$'),
    kind         text NOT NULL
        CONSTRAINT events_kind_known CHECK (kind IN ('created', 'updated', 'deleted')),
    entity_id    uuid NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT events_payload_small_object
            CHECK (jsonb_typeof(payload) = 'object' AND pg_column_size(payload) <= 2048),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.events IS
    'Outbox of domain events (AI requests, documents, memberships); NOTIFY taproot_events on insert';
-- No foreign key to workspaces: events about a deleted workspace must still be deliverable.
CREATE INDEX events_workspace_id_id_idx ON app.events (workspace_id, id);
CREATE INDEX events_created_at_idx ON app.events (created_at);

CREATE FUNCTION app.emit_event(p_workspace_id uuid, p_topic text, p_kind text,
                               p_entity_id uuid, p_payload jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    event_id bigint;
BEGIN
    INSERT INTO app.events (workspace_id, topic, kind, entity_id, payload)
    VALUES (p_workspace_id, p_topic, p_kind, p_entity_id, coalesce(p_payload, '{}'))
    RETURNING id INTO event_id;
    PERFORM pg_catalog.pg_notify('taproot_events', pg_catalog.json_build_object(
        'id', event_id, 'workspace_id', p_workspace_id, 'topic', p_topic,
        'kind', p_kind, 'entity_id', p_entity_id)::text);
    RETURN event_id;
END
$$;
COMMENT ON FUNCTION app.emit_event(uuid, text, text, uuid, jsonb) IS
    'Append an event to app.events and NOTIFY taproot_events with {id, workspace_id, topic, kind, entity_id}';

-- Generic row trigger: topic = table name, kind from TG_OP; TG_ARGV[0] names the entity id
-- column, the other arguments name columns copied into the payload.
CREATE FUNCTION app.emit_row_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    row_data jsonb;
    payload  jsonb := '{}';
    i        integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_data := pg_catalog.to_jsonb(OLD);
    ELSE
        row_data := pg_catalog.to_jsonb(NEW);
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        payload := payload || pg_catalog.jsonb_build_object(TG_ARGV[i], row_data -> TG_ARGV[i]);
    END LOOP;
    PERFORM app.emit_event((row_data ->> 'workspace_id')::uuid, TG_TABLE_NAME,
                           CASE TG_OP WHEN 'INSERT' THEN 'created'
                                      WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
                           (row_data ->> TG_ARGV[0])::uuid, payload);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.emit_row_event() IS
    'AFTER row trigger: emit_event(workspace_id, table name, created|updated|deleted, id column, payload columns)';

COMMIT;
