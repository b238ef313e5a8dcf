-- Deploy taproot:app_request_ids to pg
-- requires: app_audit_log, app_defer_job
-- The HTTP request id (X-Request-Id) the gateway and the sidecar set as the request.id GUC
-- of every transaction, kept where it lets an operator follow one request: on the audit
-- rows it wrote (app.audit_log.http_request_id) and on the jobs it deferred
-- (app.job_requests), which the workers read to log every line of the job with it.
BEGIN;

CREATE FUNCTION app.current_request_id()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT nullif(pg_catalog.current_setting('request.id', true), '')
$$;
COMMENT ON FUNCTION app.current_request_id() IS
    'The HTTP request id of this transaction (GUC request.id set by the gateway and the sidecar), or NULL';
GRANT EXECUTE ON FUNCTION app.current_request_id() TO service_role, worker;

-- The default is evaluated by whoever inserts (app.audit, a definer function): no grant needed.
ALTER TABLE app.audit_log
    ADD COLUMN http_request_id text DEFAULT nullif(pg_catalog.current_setting('request.id', true), '');
COMMENT ON COLUMN app.audit_log.http_request_id IS
    'The HTTP request (X-Request-Id) that wrote this entry, when one did';

CREATE TABLE app.job_requests (
    job_id          bigint PRIMARY KEY
        REFERENCES procrastinate.procrastinate_jobs (id) ON DELETE CASCADE,
    http_request_id text NOT NULL
);
COMMENT ON TABLE app.job_requests IS
    'The HTTP request (X-Request-Id) that deferred a Procrastinate job; goes when the job is deleted';
GRANT SELECT ON app.job_requests TO worker;
ALTER TABLE app.job_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.job_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY "the worker reads which request deferred a job" ON app.job_requests
    FOR SELECT TO worker USING (true);

CREATE FUNCTION app.remember_job_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    rid text := nullif(pg_catalog.current_setting('request.id', true), '');
BEGIN
    IF rid IS NOT NULL THEN
        INSERT INTO app.job_requests (job_id, http_request_id) VALUES (NEW.id, rid)
        ON CONFLICT (job_id) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.remember_job_request() IS
    'AFTER INSERT on procrastinate_jobs: record the request.id of the transaction that deferred the job';

CREATE TRIGGER taproot_job_request AFTER INSERT ON procrastinate.procrastinate_jobs
    FOR EACH ROW EXECUTE FUNCTION app.remember_job_request();

COMMIT;
