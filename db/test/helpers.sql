-- Helpers for pgTAP tests, loaded into the test database before pg_prove runs.
-- authenticate_as() sets the role and request.jwt.claims exactly as the gateway does,
-- so that RLS tests exercise the real mechanism. Not a sqitch change: never deployed.
CREATE SCHEMA IF NOT EXISTS tests;
GRANT USAGE ON SCHEMA tests TO PUBLIC;

CREATE OR REPLACE FUNCTION tests.authenticate_as(role_name text, claims jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('request.jwt.claims',
                       (claims || jsonb_build_object('role', role_name))::text, true);
    PERFORM set_config('role', role_name, true);
END
$$;

CREATE OR REPLACE FUNCTION tests.clear_authentication()
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('role', 'none', true);
    PERFORM set_config('request.jwt.claims', '', true);
END
$$;

-- A stable uuid per fixture name, so tests can say tests.uid('member_a').
CREATE OR REPLACE FUNCTION tests.uid(fixture text)
RETURNS uuid
LANGUAGE sql
IMMUTABLE
AS $$ SELECT md5(fixture)::uuid $$;

-- Sign in as a fixture user: role authenticated, claims as api.login would issue them.
CREATE OR REPLACE FUNCTION tests.login_as(fixture text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('role', 'none', true);
    PERFORM tests.authenticate_as('authenticated', jsonb_build_object(
        'sub', tests.uid(fixture), 'email', fixture || '@example.test',
        'session_id', tests.uid(fixture || ' session'), 'aud', 'taproot'));
END
$$;

-- Run a statement as the current role and return how many rows it touched: RLS filters
-- UPDATE and DELETE silently, so "denied" there means "0 rows".
CREATE OR REPLACE FUNCTION tests.affected_rows(statement text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE statement;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The standard world every RLS test starts from (call as superuser):
--   workspace A: owner_a (owner), admin_a (admin), member_a (member), viewer_a (viewer)
--   workspace B: owner_b (owner), member_b (member)
--   outsider: no workspace
-- plus, when the tables exist, documents, prompts and AI requests in both workspaces.
CREATE OR REPLACE FUNCTION tests.make_world()
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    fixture text;
BEGIN
    FOREACH fixture IN ARRAY ARRAY['owner_a', 'admin_a', 'member_a', 'viewer_a', 'owner_b',
                                   'member_b', 'outsider'] LOOP
        INSERT INTO api.users (id, email, name, invited_by)
        VALUES (tests.uid(fixture), fixture || '@example.test', initcap(replace(fixture, '_', ' ')), NULL);
    END LOOP;
    INSERT INTO api.workspaces (id, name, created_by) VALUES
        (tests.uid('workspace_a'), 'Workspace A', tests.uid('owner_a')),
        (tests.uid('workspace_b'), 'Workspace B', tests.uid('owner_b'));
    INSERT INTO api.memberships (workspace_id, user_id, role) VALUES
        (tests.uid('workspace_a'), tests.uid('owner_a'), 'owner'),
        (tests.uid('workspace_a'), tests.uid('admin_a'), 'admin'),
        (tests.uid('workspace_a'), tests.uid('member_a'), 'member'),
        (tests.uid('workspace_a'), tests.uid('viewer_a'), 'viewer'),
        (tests.uid('workspace_b'), tests.uid('owner_b'), 'owner'),
        (tests.uid('workspace_b'), tests.uid('member_b'), 'member');

    IF to_regclass('api.documents') IS NOT NULL THEN
        INSERT INTO api.documents (id, workspace_id, title, body, created_by) VALUES
            (tests.uid('doc_a1'), tests.uid('workspace_a'), 'Quarterly report',
             'Revenue grew in the northern region.', tests.uid('member_a')),
            (tests.uid('doc_a2'), tests.uid('workspace_a'), 'Onboarding guide',
             'How new staff get their laptops.', tests.uid('admin_a')),
            (tests.uid('doc_b1'), tests.uid('workspace_b'), 'Secret plans',
             'Revenue targets for the southern region.', tests.uid('member_b'));
    END IF;
    IF to_regclass('api.prompt_versions') IS NOT NULL THEN
        INSERT INTO api.prompts (id, workspace_id, name, created_by) VALUES
            (tests.uid('prompt_a'), tests.uid('workspace_a'), 'summarize', tests.uid('member_a')),
            (tests.uid('prompt_b'), tests.uid('workspace_b'), 'translate', tests.uid('member_b'));
        INSERT INTO api.prompt_versions (id, prompt_id, template, variables, model, created_by) VALUES
            (tests.uid('version_a1'), tests.uid('prompt_a'),
             'Summarize {{text}} in {{words}} words', '{"text": "string", "words": "integer"}',
             'demo-model', tests.uid('member_a')),
            (tests.uid('version_b1'), tests.uid('prompt_b'),
             'Translate {{text}}', '{"text": "string"}', 'demo-model', tests.uid('member_b'));
    END IF;
    IF to_regclass('api.ai_requests') IS NOT NULL THEN
        INSERT INTO api.ai_requests (id, workspace_id, prompt_version_id, inputs, requested_by) VALUES
            (tests.uid('request_a1'), tests.uid('workspace_a'), tests.uid('version_a1'),
             '{"text": "hello", "words": 5}', tests.uid('member_a')),
            (tests.uid('request_b1'), tests.uid('workspace_b'), tests.uid('version_b1'),
             '{"text": "hello"}', tests.uid('member_b'));
    END IF;
END
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tests TO PUBLIC;

-- The extensions change revokes EXECUTE from PUBLIC by default, and pgtap is installed after
-- it: give pgTAP's own functions back to every role so that tests can switch roles.
DO $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgtap'
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', fn);
    END LOOP;
END
$$;
