-- The role x command matrix, table by table, in one place. For each table, eight probes:
--   SA/SB  read a row of workspace A / B          IA/IB  insert into A / B
--   UA/UB  update a row of A / B                  DA/DB  delete a row of A / B
-- run as anon, member of A, viewer of A, admin of A, member of B, service_role, worker and
-- analyst. Outcomes: ok (rows read or changed), none (0 rows: RLS filtered them out),
-- denied (42501: no privilege or an insert the policy refuses -> 401/403), - (not
-- applicable). Each probe runs in its own subtransaction and is rolled back.
BEGIN;
SELECT plan(101);
SELECT tests.make_world();

-- Targets nobody owns, so that updates and deletes trip no other rule.
INSERT INTO api.users (id, email, name, invited_by) VALUES
    (tests.uid('extra_a'), 'extra_a@example.test', 'Extra A', NULL),
    (tests.uid('extra_b'), 'extra_b@example.test', 'Extra B', NULL);
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES
    (tests.uid('workspace_a'), tests.uid('extra_a'), 'member'),
    (tests.uid('workspace_b'), tests.uid('extra_b'), 'member');
INSERT INTO api.prompts (id, workspace_id, name) VALUES
    (tests.uid('prompt_a2'), tests.uid('workspace_a'), 'unused a'),
    (tests.uid('prompt_b2'), tests.uid('workspace_b'), 'unused b');
INSERT INTO app.provider_secrets (workspace_id, provider, ciphertext, key_hint) VALUES
    (tests.uid('workspace_a'), 'openai', '\x00', '…aaaa'),
    (tests.uid('workspace_b'), 'openai', '\x00', '…bbbb');
-- Usage rows come from the AI ledger (api_ai_usage); give both workspaces a day to probe.
INSERT INTO api.usage_daily (workspace_id, day) VALUES
    (tests.uid('workspace_a'), (now() AT TIME ZONE 'UTC')::date),
    (tests.uid('workspace_b'), (now() AT TIME ZONE 'UTC')::date);

CREATE FUNCTION pg_temp.outcome(actor text, statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF statement IS NULL THEN
        RETURN '-';
    END IF;
    BEGIN
        IF actor IN ('anon', 'service_role', 'worker') THEN
            PERFORM tests.authenticate_as(actor);
        ELSIF actor = 'analyst' THEN
            PERFORM set_config('role', 'analyst', true);
        ELSE
            PERFORM tests.login_as(actor);
        END IF;
        IF statement ~* '^\s*select' THEN
            EXECUTE statement INTO n;
        ELSE
            EXECUTE statement;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'TPX01', MESSAGE = n::text;  -- roll the probe back
    EXCEPTION
        WHEN SQLSTATE 'TPX01' THEN
            RETURN CASE WHEN SQLERRM::bigint > 0 THEN 'ok' ELSE 'none' END;
        WHEN insufficient_privilege THEN
            RETURN 'denied';
        WHEN OTHERS THEN
            RETURN SQLSTATE || ' ' || SQLERRM;
    END;
END
$$;

CREATE TEMP TABLE probes (tbl text, sa text, sb text, ia text, ib text, ua text, ub text, da text, db text);
INSERT INTO probes VALUES
('api.users',
 $$SELECT count(*) FROM api.users WHERE id = tests.uid('extra_a')$$,
 $$SELECT count(*) FROM api.users WHERE id = tests.uid('extra_b')$$,
 $$INSERT INTO api.users (email, name) VALUES ('new@example.test', 'New')$$, NULL,
 $$UPDATE api.users SET name = 'X' WHERE id = tests.uid('extra_a')$$,
 $$UPDATE api.users SET name = 'X' WHERE id = tests.uid('extra_b')$$,
 $$DELETE FROM api.users WHERE id = tests.uid('extra_a')$$,
 $$DELETE FROM api.users WHERE id = tests.uid('extra_b')$$),
('api.workspaces',
 $$SELECT count(*) FROM api.workspaces WHERE id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.workspaces WHERE id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.workspaces (name) VALUES ('New')$$, NULL,
 $$UPDATE api.workspaces SET name = 'X' WHERE id = tests.uid('workspace_a')$$,
 $$UPDATE api.workspaces SET name = 'X' WHERE id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.workspaces WHERE id = tests.uid('workspace_a')$$,
 $$DELETE FROM api.workspaces WHERE id = tests.uid('workspace_b')$$),
('api.memberships',
 $$SELECT count(*) FROM api.memberships WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.memberships WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), tests.uid('outsider'))$$,
 $$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_b'), tests.uid('outsider'))$$,
 $$UPDATE api.memberships SET role = 'viewer' WHERE user_id = tests.uid('extra_a')$$,
 $$UPDATE api.memberships SET role = 'viewer' WHERE user_id = tests.uid('extra_b')$$,
 $$DELETE FROM api.memberships WHERE user_id = tests.uid('extra_a')$$,
 $$DELETE FROM api.memberships WHERE user_id = tests.uid('extra_b')$$),
('api.documents',
 $$SELECT count(*) FROM api.documents WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.documents WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_a'), 'New')$$,
 $$INSERT INTO api.documents (workspace_id, title) VALUES (tests.uid('workspace_b'), 'New')$$,
 $$UPDATE api.documents SET title = 'X' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.documents SET title = 'X' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.documents WHERE id = tests.uid('doc_a2')$$,
 $$DELETE FROM api.documents WHERE id = tests.uid('doc_b1')$$),
('api.prompts',
 $$SELECT count(*) FROM api.prompts WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.prompts WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_a'), 'new')$$,
 $$INSERT INTO api.prompts (workspace_id, name) VALUES (tests.uid('workspace_b'), 'new')$$,
 $$UPDATE api.prompts SET description = 'X' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.prompts SET description = 'X' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.prompts WHERE id = tests.uid('prompt_a2')$$,
 $$DELETE FROM api.prompts WHERE id = tests.uid('prompt_b2')$$),
('api.prompt_versions',
 $$SELECT count(*) FROM api.prompt_versions WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.prompt_versions WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.prompt_versions (prompt_id, template, model) VALUES (tests.uid('prompt_a2'), 'Hi', 'm')$$,
 $$INSERT INTO api.prompt_versions (prompt_id, template, model) VALUES (tests.uid('prompt_b2'), 'Hi', 'm')$$,
 $$UPDATE api.prompt_versions SET model = 'X' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.prompt_versions SET model = 'X' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.prompt_versions WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM api.prompt_versions WHERE workspace_id = tests.uid('workspace_b')$$),
('api.ai_requests',
 $$SELECT count(*) FROM api.ai_requests WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.ai_requests WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.ai_requests (prompt_version_id, inputs) VALUES (tests.uid('version_a1'), '{"text": "x", "words": 1}')$$,
 $$INSERT INTO api.ai_requests (prompt_version_id, inputs) VALUES (tests.uid('version_b1'), '{"text": "x"}')$$,
 $$UPDATE api.ai_requests SET status = 'running' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.ai_requests SET status = 'running' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.ai_requests WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM api.ai_requests WHERE workspace_id = tests.uid('workspace_b')$$),
('api.usage_daily',
 $$SELECT count(*) FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.usage_daily (workspace_id, day) VALUES (tests.uid('workspace_a'), '2000-01-01')$$,
 $$INSERT INTO api.usage_daily (workspace_id, day) VALUES (tests.uid('workspace_b'), '2000-01-01')$$,
 $$UPDATE api.usage_daily SET requests = 0 WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.usage_daily SET requests = 0 WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_b')$$),
('api.provider_secrets',
 $$SELECT count(*) FROM api.provider_secrets WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM api.provider_secrets WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO api.provider_secrets (workspace_id, provider, key_hint) VALUES (tests.uid('workspace_a'), 'x', 'x')$$,
 $$INSERT INTO api.provider_secrets (workspace_id, provider, key_hint) VALUES (tests.uid('workspace_b'), 'x', 'x')$$,
 $$UPDATE api.provider_secrets SET provider = 'x' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE api.provider_secrets SET provider = 'x' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM api.provider_secrets WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM api.provider_secrets WHERE workspace_id = tests.uid('workspace_b')$$),
('app.provider_secrets (ciphertext)',
 $$SELECT count(ciphertext) FROM app.provider_secrets WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(ciphertext) FROM app.provider_secrets WHERE workspace_id = tests.uid('workspace_b')$$,
 NULL, NULL, NULL, NULL, NULL, NULL),
('app.events',
 $$SELECT count(*) FROM app.events WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM app.events WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO app.events (workspace_id, topic, kind, entity_id) VALUES (tests.uid('workspace_a'), 'x', 'created', tests.uid('x'))$$,
 $$INSERT INTO app.events (workspace_id, topic, kind, entity_id) VALUES (tests.uid('workspace_b'), 'x', 'created', tests.uid('x'))$$,
 $$UPDATE app.events SET topic = 'x' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE app.events SET topic = 'x' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM app.events WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM app.events WHERE workspace_id = tests.uid('workspace_b')$$),
('app.audit_log',
 $$SELECT count(*) FROM app.audit_log WHERE workspace_id = tests.uid('workspace_a')$$,
 $$SELECT count(*) FROM app.audit_log WHERE workspace_id = tests.uid('workspace_b')$$,
 $$INSERT INTO app.audit_log (actor_role, action, workspace_id) VALUES ('x', 'x.y', tests.uid('workspace_a'))$$,
 $$INSERT INTO app.audit_log (actor_role, action, workspace_id) VALUES ('x', 'x.y', tests.uid('workspace_b'))$$,
 $$UPDATE app.audit_log SET action = 'x.z' WHERE workspace_id = tests.uid('workspace_a')$$,
 $$UPDATE app.audit_log SET action = 'x.z' WHERE workspace_id = tests.uid('workspace_b')$$,
 $$DELETE FROM app.audit_log WHERE workspace_id = tests.uid('workspace_a')$$,
 $$DELETE FROM app.audit_log WHERE workspace_id = tests.uid('workspace_b')$$),
('auth.credentials',
 $$SELECT count(*) FROM auth.credentials$$, NULL,
 $$INSERT INTO auth.credentials (user_id, password_hash) VALUES (tests.uid('extra_a'), '$2a$10$x')$$, NULL,
 $$UPDATE auth.credentials SET status = 'disabled'$$, NULL, $$DELETE FROM auth.credentials$$, NULL);

CREATE TEMP TABLE expected (tbl text, actor text, outcomes text, ord serial);
INSERT INTO expected (tbl, actor, outcomes) VALUES
--                                   SA     SB     IA     IB     UA     UB     DA     DB
('api.users',          'anon',         'denied denied denied - denied denied denied denied'),
('api.users',          'member_a',     'ok none denied - none none denied denied'),
('api.users',          'viewer_a',     'ok none denied - none none denied denied'),
('api.users',          'admin_a',      'ok none ok - none none denied denied'),
('api.users',          'member_b',     'none ok denied - none none denied denied'),
('api.users',          'service_role', 'ok ok ok - ok ok ok ok'),
('api.users',          'worker',       'denied denied denied - denied denied denied denied'),
('api.users',          'analyst',      'denied denied denied - denied denied denied denied'),
('api.workspaces',     'anon',         'denied denied denied - denied denied denied denied'),
('api.workspaces',     'member_a',     'ok none denied - none none none none'),
('api.workspaces',     'viewer_a',     'ok none denied - none none none none'),
('api.workspaces',     'admin_a',      'ok none denied - ok none none none'),
('api.workspaces',     'member_b',     'none ok denied - none none none none'),
('api.workspaces',     'service_role', 'ok ok ok - ok ok ok ok'),
('api.workspaces',     'worker',       'denied denied denied - denied denied denied denied'),
('api.workspaces',     'analyst',      'denied denied denied - denied denied denied denied'),
('api.memberships',    'anon',         'denied denied denied denied denied denied denied denied'),
('api.memberships',    'member_a',     'ok none denied denied none none none none'),
('api.memberships',    'viewer_a',     'ok none denied denied none none none none'),
('api.memberships',    'admin_a',      'ok none ok denied ok none ok none'),
('api.memberships',    'member_b',     'none ok denied denied none none none none'),
('api.memberships',    'service_role', 'ok ok ok ok ok ok ok ok'),
('api.memberships',    'worker',       'denied denied denied denied denied denied denied denied'),
('api.memberships',    'analyst',      'denied denied denied denied denied denied denied denied'),
('api.documents',      'anon',         'denied denied denied denied denied denied denied denied'),
('api.documents',      'member_a',     'ok none ok denied ok none none none'),
('api.documents',      'viewer_a',     'ok none denied denied none none none none'),
('api.documents',      'admin_a',      'ok none ok denied ok none ok none'),
('api.documents',      'member_b',     'none ok denied ok none ok none ok'),
('api.documents',      'service_role', 'ok ok ok ok ok ok ok ok'),
('api.documents',      'worker',       'ok ok denied denied denied denied denied denied'),
('api.documents',      'analyst',      'denied denied denied denied denied denied denied denied'),
('api.prompts',        'anon',         'denied denied denied denied denied denied denied denied'),
('api.prompts',        'member_a',     'ok none ok denied ok none none none'),
('api.prompts',        'viewer_a',     'ok none denied denied none none none none'),
('api.prompts',        'admin_a',      'ok none ok denied ok none ok none'),
('api.prompts',        'member_b',     'none ok denied ok none ok none none'),
('api.prompts',        'service_role', 'ok ok ok ok ok ok ok ok'),
('api.prompts',        'worker',       'ok ok denied denied denied denied denied denied'),
('api.prompts',        'analyst',      'denied denied denied denied denied denied denied denied'),
('api.prompt_versions','anon',         'denied denied denied denied denied denied denied denied'),
('api.prompt_versions','member_a',     'ok none ok denied denied denied denied denied'),
('api.prompt_versions','viewer_a',     'ok none denied denied denied denied denied denied'),
('api.prompt_versions','admin_a',      'ok none ok denied denied denied denied denied'),
('api.prompt_versions','member_b',     'none ok denied ok denied denied denied denied'),
('api.prompt_versions','service_role', 'ok ok ok ok denied denied denied denied'),
('api.prompt_versions','worker',       'ok ok denied denied denied denied denied denied'),
('api.prompt_versions','analyst',      'denied denied denied denied denied denied denied denied'),
('api.ai_requests',    'anon',         'denied denied denied denied denied denied denied denied'),
('api.ai_requests',    'member_a',     'ok none ok denied denied denied denied denied'),
('api.ai_requests',    'viewer_a',     'ok none denied denied denied denied denied denied'),
('api.ai_requests',    'admin_a',      'ok none ok denied denied denied denied denied'),
('api.ai_requests',    'member_b',     'none ok denied ok denied denied denied denied'),
('api.ai_requests',    'service_role', 'ok ok ok ok ok ok ok ok'),
('api.ai_requests',    'worker',       'ok ok denied denied ok ok denied denied'),
('api.ai_requests',    'analyst',      'denied denied denied denied denied denied denied denied'),
('api.usage_daily',    'anon',         'denied denied denied denied denied denied denied denied'),
('api.usage_daily',    'member_a',     'ok none denied denied denied denied denied denied'),
('api.usage_daily',    'viewer_a',     'ok none denied denied denied denied denied denied'),
('api.usage_daily',    'admin_a',      'ok none denied denied denied denied denied denied'),
('api.usage_daily',    'member_b',     'none ok denied denied denied denied denied denied'),
('api.usage_daily',    'service_role', 'ok ok denied denied denied denied denied denied'),
('api.usage_daily',    'worker',       'ok ok denied denied denied denied denied denied'),
('api.usage_daily',    'analyst',      'denied denied denied denied denied denied denied denied'),
('api.provider_secrets','anon',        'denied denied denied denied denied denied denied denied'),
('api.provider_secrets','member_a',    'none none denied denied denied denied none none'),
('api.provider_secrets','viewer_a',    'none none denied denied denied denied none none'),
('api.provider_secrets','admin_a',     'ok none denied denied denied denied ok none'),
('api.provider_secrets','member_b',    'none none denied denied denied denied none none'),
('api.provider_secrets','service_role','ok ok denied denied denied denied ok ok'),
('api.provider_secrets','worker',      'denied denied denied denied denied denied denied denied'),
('api.provider_secrets','analyst',     'denied denied denied denied denied denied denied denied'),
('app.provider_secrets (ciphertext)','anon',         'denied denied - - - - - -'),
('app.provider_secrets (ciphertext)','admin_a',      'denied denied - - - - - -'),
('app.provider_secrets (ciphertext)','service_role', 'denied denied - - - - - -'),
('app.provider_secrets (ciphertext)','worker',       'denied denied - - - - - -'),
('app.provider_secrets (ciphertext)','analyst',      'denied denied - - - - - -'),
('app.events',         'anon',         'denied denied denied denied denied denied denied denied'),
('app.events',         'member_a',     'ok none denied denied denied denied denied denied'),
('app.events',         'viewer_a',     'ok none denied denied denied denied denied denied'),
('app.events',         'admin_a',      'ok none denied denied denied denied denied denied'),
('app.events',         'member_b',     'none ok denied denied denied denied denied denied'),
('app.events',         'service_role', 'ok ok denied denied denied denied denied denied'),
('app.events',         'worker',       'ok ok denied denied denied denied denied denied'),
('app.events',         'analyst',      'denied denied denied denied denied denied denied denied'),
('app.audit_log',      'anon',         'denied denied denied denied denied denied denied denied'),
('app.audit_log',      'member_a',     'none none denied denied denied denied denied denied'),
('app.audit_log',      'viewer_a',     'none none denied denied denied denied denied denied'),
('app.audit_log',      'admin_a',      'ok none denied denied denied denied denied denied'),
('app.audit_log',      'member_b',     'none none denied denied denied denied denied denied'),
('app.audit_log',      'service_role', 'ok ok denied denied denied denied denied denied'),
('app.audit_log',      'worker',       'denied denied denied denied denied denied denied denied'),
('app.audit_log',      'analyst',      'denied denied denied denied denied denied denied denied'),
('auth.credentials',   'anon',         'denied - denied - denied - denied -'),
('auth.credentials',   'member_a',     'denied - denied - denied - denied -'),
('auth.credentials',   'viewer_a',     'denied - denied - denied - denied -'),
('auth.credentials',   'admin_a',      'denied - denied - denied - denied -'),
('auth.credentials',   'member_b',     'denied - denied - denied - denied -'),
('auth.credentials',   'service_role', 'denied - denied - denied - denied -'),
('auth.credentials',   'worker',       'denied - denied - denied - denied -'),
('auth.credentials',   'analyst',      'denied - denied - denied - denied -');

SELECT is(concat_ws(' ', pg_temp.outcome(e.actor, p.sa), pg_temp.outcome(e.actor, p.sb),
                         pg_temp.outcome(e.actor, p.ia), pg_temp.outcome(e.actor, p.ib),
                         pg_temp.outcome(e.actor, p.ua), pg_temp.outcome(e.actor, p.ub),
                         pg_temp.outcome(e.actor, p.da), pg_temp.outcome(e.actor, p.db)),
          e.outcomes, format('%s as %s: %s', e.tbl, e.actor, e.outcomes))
FROM expected e JOIN probes p USING (tbl)
ORDER BY e.ord;

SELECT * FROM finish();
ROLLBACK;
