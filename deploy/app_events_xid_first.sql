-- Deploy taproot:app_events_xid_first to pg
-- requires: app_events_payload_cap
-- The real-time feed bounds the holders of a missing event id by the next xid when it sees
-- the hole; that holds only if a writer has its xid before it takes an event id. In an
-- AFTER trigger it already does; a direct caller (a function emitting before any write)
-- might not, so app.emit_event asks for its xid first (a no-op when it has one).
BEGIN;

CREATE OR REPLACE FUNCTION app.emit_event(p_workspace_id uuid, p_topic text, p_kind text,
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
    PERFORM pg_catalog.pg_current_xact_id();  -- the xid before the id: see the header
    INSERT INTO app.events (workspace_id, topic, kind, entity_id, payload)
    VALUES (p_workspace_id, p_topic, p_kind, p_entity_id, coalesce(p_payload, '{}'))
    RETURNING id INTO event_id;
    PERFORM pg_catalog.pg_notify('taproot_events', pg_catalog.json_build_object(
        'id', event_id, 'workspace_id', p_workspace_id, 'topic', p_topic,
        'kind', p_kind, 'entity_id', p_entity_id)::text);
    RETURN event_id;
END
$$;

COMMIT;
