-- Deploy taproot:api_run_prompt to pg
-- requires: api_ai_requests_rls
-- Queue a run of a prompt's latest (or a given) version. SECURITY INVOKER: the caller's
-- policies decide; the insert trigger validates the inputs and the quota. Enqueueing the
-- worker job in the same transaction is added by the jobs change.
BEGIN;

CREATE FUNCTION api.run_prompt(prompt_id uuid, inputs jsonb DEFAULT '{}', version integer DEFAULT NULL)
RETURNS api.ai_requests
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
DECLARE
    chosen  record;
    request api.ai_requests;
BEGIN
    SELECT v.id, v.workspace_id INTO chosen
    FROM api.prompt_versions v
    WHERE v.prompt_id = run_prompt.prompt_id
      AND (run_prompt.version IS NULL OR v.version = run_prompt.version)
    ORDER BY v.version DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'PT404'
            USING MESSAGE = CASE WHEN run_prompt.version IS NULL
                                 THEN pg_catalog.format('prompt %s not found, or it has no version', run_prompt.prompt_id)
                                 ELSE pg_catalog.format('prompt %s has no version %s', run_prompt.prompt_id, run_prompt.version)
                            END;
    END IF;
    INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs)
    VALUES (chosen.workspace_id, chosen.id, coalesce(run_prompt.inputs, '{}'))
    RETURNING * INTO request;
    RETURN request;
END
$$;
COMMENT ON FUNCTION api.run_prompt(uuid, jsonb, integer) IS
    'Queue an AI request for the prompt''s latest version (or `version`); returns it with status queued. '
    'Errors: 22023 naming missing/unexpected/mistyped inputs; PT404 unknown prompt; 42501 viewers; '
    'PT429 daily token quota used.';
GRANT EXECUTE ON FUNCTION api.run_prompt(uuid, jsonb, integer) TO authenticated, service_role;

CREATE FUNCTION api.cancel_request(id uuid)
RETURNS api.ai_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller  uuid := app.current_user_id();
    request api.ai_requests;
BEGIN
    SELECT * INTO request FROM api.ai_requests r WHERE r.id = cancel_request.id FOR UPDATE;
    IF NOT FOUND OR (caller IS NOT NULL AND NOT app.has_workspace_role(request.workspace_id,
                                                                       '{owner,admin,member,viewer}')) THEN
        RAISE SQLSTATE 'PT404' USING MESSAGE = pg_catalog.format('AI request %s not found', cancel_request.id);
    END IF;
    IF caller IS NULL AND pg_catalog.current_setting('role') <> 'service_role' THEN
        RAISE EXCEPTION 'sign in to cancel AI requests' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF caller IS NOT NULL AND request.requested_by IS DISTINCT FROM caller
       AND NOT app.has_workspace_role(request.workspace_id, '{owner,admin}') THEN
        RAISE EXCEPTION 'only the requester or a workspace admin can cancel an AI request'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF request.status NOT IN ('queued', 'running') THEN
        RAISE SQLSTATE 'PT409'
            USING MESSAGE = pg_catalog.format('the AI request has already %s and cannot be cancelled',
                                              CASE request.status WHEN 'cancelled' THEN 'been cancelled'
                                                                  ELSE request.status END);
    END IF;
    UPDATE api.ai_requests r SET status = 'cancelled' WHERE r.id = request.id RETURNING * INTO request;
    RETURN request;
END
$$;
COMMENT ON FUNCTION api.cancel_request(uuid) IS
    'Cancel a queued or running AI request (its requester or a workspace admin/owner). '
    'Errors: PT404 unknown or invisible request; 42501 not allowed; PT409 already finished.';
GRANT EXECUTE ON FUNCTION api.cancel_request(uuid) TO authenticated, service_role;

COMMIT;
