-- Cluster bootstrap: the login and group roles every Taproot database relies on.
-- Roles are cluster-wide, so this runs before sqitch (which works per database) and is
-- idempotent. Passwords arrive as the session settings taproot.authenticator_password
-- and taproot.analyst_password, set with bind parameters by the caller.
DO $bootstrap$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role', 'worker'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
        END IF;
    END LOOP;

    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticator') THEN
        CREATE ROLE authenticator LOGIN NOINHERIT;
    END IF;
    EXECUTE format('ALTER ROLE authenticator WITH LOGIN NOINHERIT PASSWORD %L',
                   current_setting('taproot.authenticator_password'));

    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst LOGIN;
    END IF;
    EXECUTE format('ALTER ROLE analyst WITH LOGIN NOINHERIT PASSWORD %L',
                   current_setting('taproot.analyst_password'));
END
$bootstrap$;

-- The gateway and sidecar connect as authenticator and switch per request.
GRANT anon, authenticated, service_role, worker TO authenticator;

-- Analysts read reports, never write, and never hold a connection busy for long.
ALTER ROLE analyst SET default_transaction_read_only = on;
ALTER ROLE analyst SET statement_timeout = '30s';
ALTER ROLE analyst SET idle_in_transaction_session_timeout = '5min';
-- A request that runs away is cut off before it holds a pool slot for long.
ALTER ROLE authenticator SET statement_timeout = '15s';
