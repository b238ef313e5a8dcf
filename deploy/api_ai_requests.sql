-- Deploy taproot:api_ai_requests to pg
-- requires: api_prompt_versions, api_usage_daily, app_prompt_variables, app_events, app_permissions, app_touch_updated_at
-- A run of a prompt version with inputs, from queued to a final status. Inserting validates
-- the inputs against the version's declared variables and checks the daily token quota;
-- updates follow the status machine; triggers keep usage and emit events.
BEGIN;

CREATE TABLE api.ai_requests (
    id                uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id      uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    prompt_version_id uuid NOT NULL,
    inputs            jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT ai_requests_inputs_object CHECK (jsonb_typeof(inputs) = 'object'),
    status            text NOT NULL DEFAULT 'queued'
        CONSTRAINT ai_requests_status_known
            CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    result            text,
    error             text,
    attempts          integer NOT NULL DEFAULT 0 CONSTRAINT ai_requests_attempts_positive CHECK (attempts >= 0),
    tokens_in         integer NOT NULL DEFAULT 0 CONSTRAINT ai_requests_tokens_in_positive CHECK (tokens_in >= 0),
    tokens_out        integer NOT NULL DEFAULT 0 CONSTRAINT ai_requests_tokens_out_positive CHECK (tokens_out >= 0),
    cost              numeric(12, 6) NOT NULL DEFAULT 0 CONSTRAINT ai_requests_cost_positive CHECK (cost >= 0),
    cache_hit         boolean NOT NULL DEFAULT false,
    requested_by      uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_requests_prompt_version_fkey FOREIGN KEY (prompt_version_id, workspace_id)
        REFERENCES api.prompt_versions (id, workspace_id),
    CONSTRAINT ai_requests_succeeded_has_result
        CHECK (status <> 'succeeded' OR result IS NOT NULL),
    CONSTRAINT ai_requests_failed_has_error
        CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT ai_requests_finished_when_final
        CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CONSTRAINT ai_requests_times_ordered
        CHECK (started_at >= created_at AND finished_at >= created_at)
);
COMMENT ON TABLE api.ai_requests IS
    'AI runs: queued -> running -> succeeded|failed (failed/running -> queued to retry); '
    'queued|running -> cancelled. Create with api.run_prompt(prompt_id, inputs).';
CREATE INDEX ai_requests_workspace_id_created_at_idx ON api.ai_requests (workspace_id, created_at DESC);
CREATE INDEX ai_requests_prompt_version_id_workspace_id_idx ON api.ai_requests (prompt_version_id, workspace_id);
CREATE INDEX ai_requests_requested_by_idx ON api.ai_requests (requested_by);
CREATE INDEX ai_requests_pending_idx ON api.ai_requests (created_at) WHERE status IN ('queued', 'running');

-- Definer: it reads the version's declared variables whatever the caller's rights (the insert
-- policy still decides whether the caller may run prompts in that workspace).
CREATE FUNCTION app.prepare_ai_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    declared jsonb;
    version_workspace uuid;
BEGIN
    SELECT v.variables, v.workspace_id INTO declared, version_workspace
    FROM api.prompt_versions v WHERE v.id = NEW.prompt_version_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'prompt version % does not exist', NEW.prompt_version_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.workspace_id := coalesce(NEW.workspace_id, version_workspace);
    IF app.current_user_id() IS NOT NULL
       AND NOT app.has_workspace_role(NEW.workspace_id, '{owner,admin,member}') THEN
        RAISE EXCEPTION 'only owners, admins and members of the workspace can run its prompts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM app.check_prompt_inputs(declared, NEW.inputs);
    PERFORM app.check_token_quota(NEW.workspace_id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.prepare_ai_request() IS
    'BEFORE INSERT on api.ai_requests: workspace from the version, caller may write, inputs valid, quota left';

CREATE FUNCTION app.advance_ai_request()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF NEW.workspace_id <> OLD.workspace_id OR NEW.prompt_version_id <> OLD.prompt_version_id
       OR NEW.inputs <> OLD.inputs OR NEW.created_at <> OLD.created_at
       OR (NEW.requested_by IS DISTINCT FROM OLD.requested_by AND NEW.requested_by IS NOT NULL) THEN
        RAISE EXCEPTION 'the workspace, prompt version, inputs and requester of an AI request cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status <> OLD.status THEN
        IF (OLD.status, NEW.status) NOT IN (('queued', 'running'), ('queued', 'cancelled'),
                                            ('running', 'succeeded'), ('running', 'failed'),
                                            ('running', 'cancelled'), ('running', 'queued'),
                                            ('failed', 'queued')) THEN
            RAISE EXCEPTION 'an AI request cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        CASE NEW.status
            WHEN 'running' THEN
                NEW.started_at := pg_catalog.clock_timestamp();
                NEW.attempts := greatest(NEW.attempts, OLD.attempts + 1);
            WHEN 'queued' THEN
                NEW.finished_at := NULL;
            ELSE
                NEW.finished_at := coalesce(NEW.finished_at, pg_catalog.clock_timestamp());
        END CASE;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.advance_ai_request() IS
    'BEFORE UPDATE on api.ai_requests: identity columns fixed, status transitions checked, timestamps and attempts kept';

CREATE FUNCTION app.count_ai_request_usage()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM app.record_usage(NEW.workspace_id, 1, NEW.tokens_in, NEW.tokens_out, NEW.cost,
                                 NEW.cache_hit::integer);
    ELSE
        PERFORM app.record_usage(NEW.workspace_id, 0, NEW.tokens_in - OLD.tokens_in,
                                 NEW.tokens_out - OLD.tokens_out, NEW.cost - OLD.cost,
                                 NEW.cache_hit::integer - OLD.cache_hit::integer);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.count_ai_request_usage() IS
    'AFTER INSERT/UPDATE on api.ai_requests: add requests, token, cost and cache-hit deltas to api.usage_daily';

CREATE TRIGGER ai_requests_prepare BEFORE INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.prepare_ai_request();
CREATE TRIGGER ai_requests_advance BEFORE UPDATE ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.advance_ai_request();
CREATE TRIGGER ai_requests_touch_updated_at BEFORE UPDATE ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER ai_requests_count_usage_on_insert AFTER INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.count_ai_request_usage();
CREATE TRIGGER ai_requests_count_usage_on_update AFTER UPDATE ON api.ai_requests
    FOR EACH ROW
    WHEN (NEW.tokens_in <> OLD.tokens_in OR NEW.tokens_out <> OLD.tokens_out OR NEW.cost <> OLD.cost
          OR NEW.cache_hit <> OLD.cache_hit)
    EXECUTE FUNCTION app.count_ai_request_usage();
CREATE TRIGGER ai_requests_emit_created AFTER INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.emit_row_event('id', 'status', 'prompt_version_id');
CREATE TRIGGER ai_requests_emit_status AFTER UPDATE ON api.ai_requests
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION app.emit_row_event('id', 'status', 'attempts');
CREATE TRIGGER ai_requests_emit_deleted AFTER DELETE ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.emit_row_event('id', 'status');

COMMIT;
