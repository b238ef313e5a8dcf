-- Deploy taproot:app_realtime to pg
-- requires: app_events_rls, app_events_payload_cap, app_permissions, api_ai_requests_rls, api_memberships
-- What the gateway's /realtime fan-out is configured with (it knows nothing of our domain):
-- the feed it reads the outbox through (realtime-feed, read as service_role) and the
-- function mapping the topics a client asks for to the channels it may receive
-- (realtime-authorize, run under the caller's role and claims).
BEGIN;

-- One row per outbox event: the channels it is delivered on, the SSE event name, the JSON
-- body built here (the gateway passes it through as bytes), and whether the event may take
-- access away (a membership removed), in which case the gateway re-checks its subscribers.
CREATE VIEW app.realtime_feed WITH (security_invoker = true) AS
SELECT e.id,
       CASE e.topic
           WHEN 'ai_requests' THEN ARRAY['workspace:' || e.workspace_id, 'request:' || e.entity_id]
           WHEN 'memberships' THEN ARRAY['workspace:' || e.workspace_id, 'user:' || e.entity_id]
           ELSE ARRAY['workspace:' || e.workspace_id]
       END AS channels,
       e.topic || '.' || e.kind AS event,
       pg_catalog.json_build_object('id', e.id, 'workspace_id', e.workspace_id, 'topic', e.topic,
                                    'kind', e.kind, 'entity_id', e.entity_id,
                                    'payload', e.payload, 'created_at', e.created_at)::text AS data,
       (e.topic = 'memberships' AND e.kind IN ('deleted', 'updated')) AS recheck
FROM app.events e;
COMMENT ON VIEW app.realtime_feed IS
    'The events outbox as the real-time gateway reads it: id, channels, event, data (JSON text), recheck';
GRANT SELECT ON app.realtime_feed TO service_role;

-- Under the caller's role and claims (SECURITY INVOKER): RLS on api.ai_requests decides who
-- may follow a request. One element out per topic in, NULL where the topic is refused.
CREATE FUNCTION app.realtime_channels(p_topics text[])
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.array_agg(
        CASE
            WHEN u.topic = 'user:me' THEN 'user:' || app.current_user_id()
            WHEN u.topic ~* '^workspace:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                 AND pg_catalog.substr(u.topic, 11)::uuid = ANY (app.my_workspace_ids())
                THEN 'workspace:' || pg_catalog.substr(u.topic, 11)::uuid
            WHEN u.topic ~* '^request:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                 AND EXISTS (SELECT 1 FROM api.ai_requests r
                             WHERE r.id = pg_catalog.substr(u.topic, 9)::uuid)
                THEN 'request:' || pg_catalog.substr(u.topic, 9)::uuid
        END ORDER BY u.ord), '{}')
    FROM pg_catalog.unnest(p_topics) WITH ORDINALITY AS u(topic, ord)
$$;
COMMENT ON FUNCTION app.realtime_channels(text[]) IS
    'Real-time topics → the channels the caller may receive (NULL = refused): workspace:<id> for members, '
    'request:<id> for those who may read the request, user:me → user:<sub> for a signed-in user';
GRANT EXECUTE ON FUNCTION app.realtime_channels(text[]) TO authenticated;

COMMIT;
