-- Deploy taproot:app_validation_messages to pg
-- requires: app_email_address_explained, api_users_rls, api_workspaces_rls, api_memberships_rls
-- requires: api_documents_rls, api_prompts_rls, api_prompt_versions_rls, api_ai_requests_rls
-- requires: api_ai_routes, api_api_keys, app_provider_secrets
-- Every validation a client can trigger answers a sentence that names the field, with a
-- detail and a hint where they help, in the SQLSTATE the constraint would have raised (so
-- the HTTP status does not change): 23502 (400) for a missing value, 23514 (400) for a bad
-- one, 23505 (409) for a duplicate, 23503 (409) for a missing referenced row.
-- A CHECK's message cannot be customized, so a BEFORE trigger per table (named
-- <table>_check_input, which sorts before the tables' other BEFORE triggers) checks first
-- and raises; the constraints stay as the last line of defence and still answer any race.
-- Uniqueness and references are looked up only for callers the table's policies would let
-- write the row (the service role, or the workspace's right members), so the trigger
-- tells nobody more than the constraint itself would; others meet the policy as before.
-- The catalogue of messages is docs/errors.md.
BEGIN;

-- --- field checks: pure, no lookups ---------------------------------------------------

CREATE FUNCTION app.require_text(p_field text, p_value text, p_min integer, p_max integer,
                                 p_trim boolean DEFAULT true, p_required boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
DECLARE
    n integer;
BEGIN
    IF p_value IS NULL THEN
        IF p_required THEN
            RAISE EXCEPTION '% is required', p_field USING ERRCODE = 'not_null_violation';
        END IF;
        RETURN;
    END IF;
    n := pg_catalog.length(CASE WHEN p_trim THEN pg_catalog.btrim(p_value) ELSE p_value END);
    IF n < p_min THEN
        RAISE EXCEPTION '% must not be %', p_field, CASE WHEN p_trim THEN 'blank' ELSE 'empty' END
            USING ERRCODE = 'check_violation';
    END IF;
    IF n > p_max THEN
        RAISE EXCEPTION '% must be at most % characters', p_field, p_max
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('It has %s characters.', n);
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_text(text, text, integer, integer, boolean, boolean) IS
    'Raise a readable 23502/23514 unless the text field is present and p_min..p_max characters long (trimmed if p_trim)';

CREATE FUNCTION app.require_at_least(p_field text, p_value numeric, p_min numeric,
                                     p_required boolean DEFAULT true, p_hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_value IS NULL THEN
        IF p_required THEN
            RAISE EXCEPTION '% is required', p_field USING ERRCODE = 'not_null_violation';
        END IF;
        RETURN;
    END IF;
    -- RAISE refuses a null option (and an empty HINT would still be sent): two branches.
    IF p_value < p_min AND p_hint IS NULL THEN
        RAISE EXCEPTION '% must be at least %', p_field, p_min
            USING ERRCODE = 'check_violation', DETAIL = pg_catalog.format('Got %s.', p_value);
    ELSIF p_value < p_min THEN
        RAISE EXCEPTION '% must be at least %', p_field, p_min
            USING ERRCODE = 'check_violation', DETAIL = pg_catalog.format('Got %s.', p_value),
                  HINT = p_hint;
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_at_least(text, numeric, numeric, boolean, text) IS
    'Raise a readable 23502/23514 unless the number field is present and at least p_min';

CREATE FUNCTION app.require_json_object(p_field text, p_value jsonb)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_value IS NULL THEN
        RAISE EXCEPTION '% is required', p_field
            USING ERRCODE = 'not_null_violation', HINT = 'Send {} for none.';
    END IF;
    IF pg_catalog.jsonb_typeof(p_value) <> 'object' THEN
        RAISE EXCEPTION '% must be a JSON object', p_field
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('It is a JSON %s.', pg_catalog.jsonb_typeof(p_value)),
                  HINT = 'Send an object such as {"key": "value"}, or {} for none.';
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_json_object(text, jsonb) IS
    'Raise a readable 23502/23514 unless the jsonb field is present and an object';

CREATE FUNCTION app.require_identifier(p_field text, p_value text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_value IS NULL THEN
        RAISE EXCEPTION '% is required', p_field USING ERRCODE = 'not_null_violation';
    END IF;
    IF p_value !~ '^[a-z][a-z0-9_-]{0,49}$' THEN
        RAISE EXCEPTION '% must be a lower-case name of at most 50 characters', p_field
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('Got %s.', pg_catalog.quote_literal(pg_catalog.left(p_value, 60))),
                  HINT = 'Start with a letter a-z and use only a-z, 0-9, "_" and "-", e.g. "openai".';
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_identifier(text, text) IS
    'Raise a readable 23502/23514 unless the field is a provider-style name: ^[a-z][a-z0-9_-]{0,49}$';

CREATE FUNCTION app.require_one_of(p_field text, p_value text, p_allowed text[])
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_value IS NULL THEN
        RAISE EXCEPTION '% is required', p_field USING ERRCODE = 'not_null_violation';
    END IF;
    IF NOT p_value = ANY (p_allowed) THEN
        RAISE EXCEPTION '% must be one of %', p_field, pg_catalog.array_to_string(p_allowed, ', ')
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('Got %s.', pg_catalog.quote_literal(pg_catalog.left(p_value, 60)));
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_one_of(text, text, text[]) IS
    'Raise a readable 23502/23514 unless the field is one of p_allowed';

-- Whether the caller may learn of conflicting or missing rows: the back office (any role
-- but anon and authenticated, e.g. service_role) or a member of the workspace in one of
-- p_roles, that is whoever the table's write policies admit.
CREATE FUNCTION app.may_learn_conflicts(p_workspace_id uuid, p_roles text[])
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT pg_catalog.current_setting('role') NOT IN ('anon', 'authenticated')
           OR app.has_workspace_role(p_workspace_id, p_roles)
$$;
COMMENT ON FUNCTION app.may_learn_conflicts(uuid, text[]) IS
    'True when the caller may be told of a duplicate or missing row in the workspace (the write policies'' audience)';

CREATE FUNCTION app.require_workspace(p_field text, p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION '% is required', p_field USING ERRCODE = 'not_null_violation';
    END IF;
    -- Only the back office can name a workspace it is not a member of; for anyone else a
    -- missing workspace is the policy's refusal, as before.
    IF pg_catalog.current_setting('role') NOT IN ('anon', 'authenticated')
       AND NOT EXISTS (SELECT 1 FROM api.workspaces w WHERE w.id = p_workspace_id) THEN
        RAISE EXCEPTION '% must be the id of an existing workspace', p_field
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = pg_catalog.format('No workspace has id %s.', p_workspace_id);
    END IF;
END
$$;
COMMENT ON FUNCTION app.require_workspace(text, uuid) IS
    'Raise a readable 23502, or 23503 for the back office, unless the workspace id is given and exists';

-- --- one trigger function per table --------------------------------------------------

CREATE FUNCTION app.validate_user()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- The email's format is the domain's (app.explain_email_address), checked on input.
    IF NEW.email IS NULL THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'not_null_violation';
    END IF;
    PERFORM app.require_text('name', NEW.name, 1, 200);
    IF (TG_OP = 'INSERT' OR NEW.email IS DISTINCT FROM OLD.email)
       AND (pg_catalog.current_setting('role') NOT IN ('anon', 'authenticated') OR app.is_admin_somewhere())
       AND EXISTS (SELECT 1 FROM api.users u
                   WHERE u.email OPERATOR(extensions.=) NEW.email::extensions.citext
                     AND u.id IS DISTINCT FROM NEW.id) THEN
        RAISE EXCEPTION 'email is already used by another account'
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('An account with the email %s exists.', pg_catalog.lower(NEW.email::text)),
                  HINT = 'Emails are compared without regard to case. To add that person to a workspace, call /rpc/invite_member.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_user() IS
    'BEFORE trigger of api.users: readable errors for a missing email, a bad name and a duplicate email';
CREATE TRIGGER users_check_input BEFORE INSERT OR UPDATE OF email, name ON api.users
    FOR EACH ROW EXECUTE FUNCTION app.validate_user();

CREATE FUNCTION app.validate_workspace()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_text('name', NEW.name, 1, 100);
    PERFORM app.require_at_least('daily_token_quota', NEW.daily_token_quota, 1);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_workspace() IS
    'BEFORE trigger of api.workspaces: readable errors for a bad name or daily token quota';
CREATE TRIGGER workspaces_check_input BEFORE INSERT OR UPDATE OF name, daily_token_quota ON api.workspaces
    FOR EACH ROW EXECUTE FUNCTION app.validate_workspace();

CREATE FUNCTION app.validate_membership()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_workspace('workspace_id', NEW.workspace_id);
    IF NEW.user_id IS NULL THEN
        RAISE EXCEPTION 'user_id is required' USING ERRCODE = 'not_null_violation',
            HINT = 'To add someone by email, call /rpc/invite_member.';
    END IF;
    PERFORM app.require_one_of('role', NEW.role, '{owner,admin,member,viewer}');
    IF (TG_OP = 'INSERT' OR NEW.workspace_id <> OLD.workspace_id OR NEW.user_id <> OLD.user_id)
       AND app.may_learn_conflicts(NEW.workspace_id, '{owner,admin}') THEN
        IF NOT EXISTS (SELECT 1 FROM api.users u WHERE u.id = NEW.user_id) THEN
            RAISE EXCEPTION 'user_id must be the id of an existing user'
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = pg_catalog.format('No user has id %s.', NEW.user_id),
                      HINT = 'To add someone by email, call /rpc/invite_member.';
        END IF;
        IF EXISTS (SELECT 1 FROM api.memberships m
                   WHERE m.workspace_id = NEW.workspace_id AND m.user_id = NEW.user_id) THEN
            RAISE EXCEPTION 'user_id is already a member of this workspace'
                USING ERRCODE = 'unique_violation',
                      DETAIL = pg_catalog.format('User %s is a member of workspace %s.',
                                                 NEW.user_id, NEW.workspace_id),
                      HINT = 'To change their role, update the membership instead.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_membership() IS
    'BEFORE trigger of api.memberships: readable errors for a bad role, an unknown user or workspace and a duplicate membership';
CREATE TRIGGER memberships_check_input BEFORE INSERT OR UPDATE OF workspace_id, user_id, role ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.validate_membership();

CREATE FUNCTION app.validate_document()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_workspace('workspace_id', NEW.workspace_id);
    PERFORM app.require_text('title', NEW.title, 1, 500);
    IF NEW.body IS NULL THEN
        RAISE EXCEPTION 'body is required' USING ERRCODE = 'not_null_violation',
            HINT = 'Send "" for an empty document.';
    END IF;
    IF pg_catalog.octet_length(NEW.body) > 1000000 THEN
        RAISE EXCEPTION 'body must be at most 1000000 bytes'
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('It has %s bytes.', pg_catalog.octet_length(NEW.body)),
                  HINT = 'Split the text into several documents.';
    END IF;
    PERFORM app.require_json_object('metadata', NEW.metadata);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_document() IS
    'BEFORE trigger of api.documents: readable errors for a bad title, body or metadata';
CREATE TRIGGER documents_check_input BEFORE INSERT OR UPDATE OF workspace_id, title, body, metadata ON api.documents
    FOR EACH ROW EXECUTE FUNCTION app.validate_document();

CREATE FUNCTION app.validate_prompt()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_workspace('workspace_id', NEW.workspace_id);
    PERFORM app.require_text('name', NEW.name, 1, 200);
    PERFORM app.require_text('description', NEW.description, 0, 2000, false);
    IF (TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name OR NEW.workspace_id <> OLD.workspace_id)
       AND app.may_learn_conflicts(NEW.workspace_id, '{owner,admin,member}')
       AND EXISTS (SELECT 1 FROM api.prompts p
                   WHERE p.workspace_id = NEW.workspace_id AND p.name = NEW.name AND p.id IS DISTINCT FROM NEW.id) THEN
        RAISE EXCEPTION 'name is already used by another prompt in this workspace'
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('A prompt named %s exists.', pg_catalog.quote_literal(NEW.name)),
                  HINT = 'Choose another name, or add a version to the existing prompt.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_prompt() IS
    'BEFORE trigger of api.prompts: readable errors for a bad name or description and a duplicate name';
CREATE TRIGGER prompts_check_input BEFORE INSERT OR UPDATE OF workspace_id, name, description ON api.prompts
    FOR EACH ROW EXECUTE FUNCTION app.validate_prompt();

-- Deleting a prompt deletes its versions, which past AI requests refer to (no cascade: the
-- requests are the record of what was run and billed).
CREATE FUNCTION app.explain_prompt_in_use()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    n bigint;
BEGIN
    -- When the whole workspace is being deleted its requests go too: nothing to explain.
    IF NOT EXISTS (SELECT 1 FROM api.workspaces w WHERE w.id = OLD.workspace_id) THEN
        RETURN OLD;
    END IF;
    SELECT pg_catalog.count(*) INTO n
    FROM api.ai_requests r JOIN api.prompt_versions v ON v.id = r.prompt_version_id
    WHERE v.prompt_id = OLD.id;
    IF n > 0 THEN
        RAISE EXCEPTION 'this prompt cannot be deleted: AI requests were made with its versions'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = pg_catalog.format('%s AI requests refer to versions of prompt %s.', n, OLD.id),
                  HINT = 'Keep the prompt: its versions are the record of those requests.';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION app.explain_prompt_in_use() IS
    'BEFORE DELETE trigger of api.prompts: a readable 23503 when AI requests refer to its versions';
CREATE TRIGGER prompts_check_in_use BEFORE DELETE ON api.prompts
    FOR EACH ROW EXECUTE FUNCTION app.explain_prompt_in_use();

CREATE FUNCTION app.validate_prompt_version()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- An unknown prompt and the variables are explained by prompt_versions_prepare.
    IF NEW.prompt_id IS NULL THEN
        RAISE EXCEPTION 'prompt_id is required' USING ERRCODE = 'not_null_violation';
    END IF;
    PERFORM app.require_text('template', NEW.template, 1, 100000, false);
    PERFORM app.require_text('model', NEW.model, 1, 200);
    PERFORM app.require_json_object('params', NEW.params);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_prompt_version() IS
    'BEFORE INSERT trigger of api.prompt_versions: readable errors for a missing prompt, a bad template, model or params';
CREATE TRIGGER prompt_versions_check_input BEFORE INSERT ON api.prompt_versions
    FOR EACH ROW EXECUTE FUNCTION app.validate_prompt_version();

CREATE FUNCTION app.validate_ai_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- An unknown version and the inputs are explained by ai_requests_prepare.
    IF NEW.prompt_version_id IS NULL THEN
        RAISE EXCEPTION 'prompt_version_id is required'
            USING ERRCODE = 'not_null_violation', HINT = 'Or call /rpc/run_prompt with a prompt_id.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_ai_request() IS
    'BEFORE INSERT trigger of api.ai_requests: a readable error for a missing prompt version';
CREATE TRIGGER ai_requests_check_input BEFORE INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.validate_ai_request();

CREATE FUNCTION app.validate_ai_route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_workspace('workspace_id', NEW.workspace_id);
    PERFORM app.require_text('model', NEW.model, 1, 200, false);
    PERFORM app.require_at_least('position', NEW.position, 1);
    PERFORM app.require_identifier('credential', NEW.credential);
    PERFORM app.require_text('upstream_model', NEW.upstream_model, 1, 200, false, false);
    IF (TG_OP = 'INSERT' OR NEW.workspace_id <> OLD.workspace_id OR NEW.model <> OLD.model
        OR NEW.position <> OLD.position)
       AND app.may_learn_conflicts(NEW.workspace_id, '{owner,admin}')
       AND EXISTS (SELECT 1 FROM api.ai_routes r
                   WHERE r.workspace_id = NEW.workspace_id AND r.model = NEW.model
                     AND r.position = NEW.position AND r.id IS DISTINCT FROM NEW.id) THEN
        RAISE EXCEPTION 'position is already taken by another route for this model'
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('Model %s has a route at position %s.',
                                             pg_catalog.quote_literal(NEW.model), NEW.position),
                  HINT = 'Choose another position, or change the existing route.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_ai_route() IS
    'BEFORE trigger of api.ai_routes: readable errors for a bad model, position, credential or upstream model and a taken position';
CREATE TRIGGER ai_routes_check_input
    BEFORE INSERT OR UPDATE OF workspace_id, model, position, credential, upstream_model ON api.ai_routes
    FOR EACH ROW EXECUTE FUNCTION app.validate_ai_route();

-- api.create_api_key inserts; nothing a client sends updates a key but its revocation.
-- INSERT only: every AI call updates tokens_reserved and must not pay for this.
CREATE FUNCTION app.validate_api_key()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_text('name', NEW.name, 1, 100);
    PERFORM app.require_at_least('token_budget', NEW.token_budget, 1, false, 'Leave it out for no budget.');
    PERFORM app.require_at_least('requests_per_minute', NEW.requests_per_minute, 1, false,
                                 'Leave it out for no limit.');
    PERFORM app.require_at_least('tokens_per_minute', NEW.tokens_per_minute, 1, false,
                                 'Leave it out for no limit.');
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_api_key() IS
    'BEFORE INSERT trigger of app.api_keys: readable errors for a bad name, budget or rate limits';
CREATE TRIGGER api_keys_check_input BEFORE INSERT ON app.api_keys
    FOR EACH ROW EXECUTE FUNCTION app.validate_api_key();

CREATE FUNCTION app.validate_provider_secret()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.require_identifier('provider', NEW.provider);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.validate_provider_secret() IS
    'BEFORE trigger of app.provider_secrets: a readable error for a bad provider name';
CREATE TRIGGER provider_secrets_check_input BEFORE INSERT OR UPDATE OF provider ON app.provider_secrets
    FOR EACH ROW EXECUTE FUNCTION app.validate_provider_secret();

COMMIT;
