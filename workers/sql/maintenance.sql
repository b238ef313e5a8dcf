-- Statements of the periodic tasks (workers.schedules).

-- name: prune_events
SELECT app.prune_events(make_interval(days => %s));

-- name: prune_cache
SELECT app.cache_prune();

-- name: settle_pending
SELECT app.settle_pending_usage();

-- name: release_reservations
SELECT app.release_expired_reservations();

-- name: rollup_usage
SELECT app.rollup_usage(%s);

-- name: prune_rate_limits
SELECT app.prune_rate_limits();

-- name: prune_mail
SELECT app.prune_mail(make_interval(days => %s));
