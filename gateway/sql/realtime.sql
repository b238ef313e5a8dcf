-- Statements of the real-time fan-out (gateway/realtime). {feed} and {authorize} are the
-- quoted identifiers of realtime-feed and realtime-authorize, substituted once at start-up.

-- name: set_role
-- The LISTEN connection reads the feed as realtime-role for its whole session.
SELECT set_config('role', $1, false);

-- name: probe
SELECT 1;

-- name: head
-- Where a fresh process starts: after the newest event.
SELECT coalesce(max(id), 0) AS id FROM {feed};

-- name: catch_up
-- The one query per wake-up, for every subscriber of the process. The statement's snapshot
-- comes along: an id missing below a visible one belongs to a transaction still running
-- (or rolled back); it is waited for until xmin reaches next_xid taken after it was seen.
SELECT f.id, f.channels, f.event, f.data, f.recheck,
       pg_snapshot_xmin(s)::text AS xmin
FROM pg_current_snapshot() AS s
LEFT JOIN LATERAL (
    SELECT id, channels, event, data, recheck FROM {feed}
    WHERE id > $1 ORDER BY id LIMIT $2
) AS f ON true
ORDER BY f.id;

-- name: next_xid
-- A hole was just seen: the next transaction id bounds the xid of every transaction that
-- holds it (writers take their xid before an event id). Its own one-statement transaction
-- spends one xid per hole, never per wake-up.
SELECT pg_current_xact_id()::text;

-- name: oldest
-- The oldest event still kept: a resume from before it has lost events to retention.
SELECT min(id) AS id FROM {feed};

-- name: replay
-- Last-Event-ID: the events a subscriber missed, on its own channels only, in order.
SELECT id, event, data FROM {feed}
WHERE id > $1 AND id <= $2 AND channels && $3::text[]
ORDER BY id LIMIT $4;

-- name: authorize
-- Under the caller's role and claims: one channel key per requested topic, NULL if refused.
SELECT {authorize}($1::text[]) AS channels;
