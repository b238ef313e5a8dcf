-- Demo data for an empty database: `taproot up` runs db/seed/*.sql in name order, as the
-- superuser, right after the first deploy. One workspace, three users (one per role that
-- matters), documents, two prompts and a finished AI request. Skipped if already loaded.
--
--   alice@demo.taproot.dev / alice-demo-password   owner of "Demo workspace"
--   bob@demo.taproot.dev   / bob-demo-password     member
--   carol@demo.taproot.dev / carol-demo-password   viewer
--
-- Get a token:  curl -X POST localhost:3000/api/rpc/login -H 'Content-Type: application/json' \
--                    -d '{"email": "alice@demo.taproot.dev", "password": "alice-demo-password"}'
DO $seed$
DECLARE
    demo_workspace constant uuid := '11111111-1111-4111-8111-111111111111';
    alice          constant uuid := 'a11ce000-0000-4000-8000-000000000001';
    bob            constant uuid := 'b0b00000-0000-4000-8000-000000000002';
    carol          constant uuid := 'ca201000-0000-4000-8000-000000000003';
    summarize      constant uuid := '5a000000-0000-4000-8000-000000000001';
    translate      constant uuid := '5a000000-0000-4000-8000-000000000002';
    summarize_v1   uuid;
    sample_request uuid;
BEGIN
    IF EXISTS (SELECT 1 FROM api.users WHERE id = alice) THEN
        RAISE NOTICE 'demo data already loaded';
        RETURN;
    END IF;

    INSERT INTO api.users (id, email, name, invited_by) VALUES
        (alice, 'alice@demo.taproot.dev', 'Alice Owner', NULL),
        (bob, 'bob@demo.taproot.dev', 'Bob Member', NULL),
        (carol, 'carol@demo.taproot.dev', 'Carol Viewer', NULL);
    PERFORM auth.set_password(alice, 'alice-demo-password');
    PERFORM auth.set_password(bob, 'bob-demo-password');
    PERFORM auth.set_password(carol, 'carol-demo-password');

    INSERT INTO api.workspaces (id, name, daily_token_quota, created_by)
    VALUES (demo_workspace, 'Demo workspace', 1000000, alice);
    INSERT INTO api.memberships (workspace_id, user_id, role) VALUES
        (demo_workspace, alice, 'owner'),
        (demo_workspace, bob, 'member'),
        (demo_workspace, carol, 'viewer');

    INSERT INTO api.documents (workspace_id, title, body, metadata, created_by) VALUES
        (demo_workspace, 'Welcome to Taproot',
         'Taproot keeps the data model, validation and authorization in PostgreSQL. '
         'The REST API, real-time events and AI jobs are thin layers on top.',
         '{"tags": ["intro"]}', alice),
        (demo_workspace, 'Quarterly revenue report',
         'Revenue grew twelve percent in the third quarter, driven by the northern region. '
         'Costs stayed flat; the support backlog halved.',
         '{"tags": ["finance"], "quarter": "Q3"}', bob),
        (demo_workspace, 'Onboarding checklist',
         'New staff receive a laptop, an account and a buddy. Security training happens in week one.',
         '{"tags": ["people"]}', bob),
        (demo_workspace, 'Incident review: search outage',
         'Full-text search was slow for an hour after an index was dropped by mistake. '
         'We restored the GIN index and added a test that shows the query plan.',
         '{"tags": ["engineering", "postmortem"]}', alice);

    INSERT INTO api.prompts (id, workspace_id, name, description, created_by) VALUES
        (summarize, demo_workspace, 'summarize', 'Summarize a text in a given number of words', alice),
        (translate, demo_workspace, 'translate', 'Translate a text into another language', bob);
    INSERT INTO api.prompt_versions (prompt_id, template, variables, model, params, created_by) VALUES
        (summarize, 'Summarize the following text in {{words}} words: {{text}}',
         '{"text": "string", "words": "integer"}', 'demo-model', '{"temperature": 0.2}', alice),
        (translate, 'Translate into {{language}}: {{text}}',
         '{"text": "string", "language": "string"}', 'demo-model', '{}', bob);
    INSERT INTO api.prompt_versions (prompt_id, template, variables, model, params, created_by)
    VALUES (summarize, 'Summarize in at most {{words}} words, as bullet points: {{text}}',
            '{"text": "string", "words": "integer"}', 'demo-model', '{"temperature": 0.1}', alice)
    RETURNING id INTO summarize_v1;

    -- A finished request, so that usage and the reporting views show something.
    INSERT INTO api.ai_requests (prompt_version_id, inputs, requested_by)
    VALUES (summarize_v1, '{"text": "Revenue grew twelve percent in Q3.", "words": 5}', bob)
    RETURNING id INTO sample_request;
    UPDATE api.ai_requests SET status = 'running' WHERE id = sample_request;
    UPDATE api.ai_requests
    SET status = 'succeeded', result = '- Q3 revenue up 12%', tokens_in = 24, tokens_out = 8,
        cost = 0.000064
    WHERE id = sample_request;
    -- Its usage, recorded in the ledger and settled into usage_daily, as the worker does.
    PERFORM app.settle_ai_usage((app.record_ai_usage(demo_workspace, sample_request, NULL, 'job', 'fake',
                                                     'demo-model', 'demo-model', 24, 8, 0, 0, 0, false,
                                                     false, 'ok', 850)).id);
END
$seed$;
