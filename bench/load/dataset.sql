-- The load benchmark's dataset, generated in SQL (bench/load): 10,000 users, 1,000
-- workspaces, ~30,000 memberships with a skewed fan-out, 100,000 documents, one prompt
-- with one version per workspace and 100,000 finished AI requests.
--
-- Ids are md5 of a name ('user1', 'ws1', 'doc1', 'prompt1', 'air1') cast to uuid, so the
-- Python side can name them without reading them back. Every user's password is
-- 'load-password', hashed once (bcrypt, cost 10 as auth.set_password does).
--
-- Loaded as the superuser with session_replication_role = replica: the per-row triggers
-- (audit rows, outbox events + NOTIFY, updated_at, usage counters, the AI request's
-- checks, foreign-key triggers) do not fire. That is legitimate here because the rows
-- are generated consistent with every rule those triggers enforce (each document's
-- workspace exists, each request's version belongs to its workspace, statuses satisfy
-- the CHECK constraints, which still apply) and the history they would write (audit,
-- events, usage) is not what is measured. ANALYZE afterwards, as after any bulk load.
SET session_replication_role = replica;

-- users: user1 … user10000
INSERT INTO api.users (id, email, name, created_at, updated_at)
SELECT md5('user' || i)::uuid, 'user' || i || '@load.test', 'User ' || i,
       now() - interval '90 days', now() - interval '90 days'
FROM generate_series(1, 10000) AS i;

INSERT INTO auth.credentials (user_id, password_hash)
SELECT md5('user' || i)::uuid, h.hash
FROM generate_series(1, 10000) AS i,
     (SELECT extensions.crypt('load-password', extensions.gen_salt('bf', 10)) AS hash) AS h;

-- workspaces: ws1 … ws1000, owned by user 10*(w-1)+1
INSERT INTO api.workspaces (id, name, daily_token_quota, created_by, created_at, updated_at)
SELECT md5('ws' || w)::uuid, 'Workspace ' || w, 1000000000000, md5('user' || (10 * (w - 1) + 1))::uuid,
       now() - interval '90 days', now() - interval '90 days'
FROM generate_series(1, 1000) AS w;

-- memberships: the owner, then every user joins 1-5 workspaces (3 on average), drawn
-- with a squared uniform so low-numbered workspaces are large (a few hundred members)
-- and most are small (a dozen): the fan-out of a real multi-tenant product.
INSERT INTO api.memberships (workspace_id, user_id, role, created_at, updated_at)
SELECT md5('ws' || w)::uuid, md5('user' || (10 * (w - 1) + 1))::uuid, 'owner', now(), now()
FROM generate_series(1, 1000) AS w;
INSERT INTO api.memberships (workspace_id, user_id, role, created_at, updated_at)
SELECT DISTINCT ON (ws, u) md5('ws' || ws)::uuid, md5('user' || u)::uuid,
       CASE WHEN r < 10 THEN 'admin' WHEN r < 80 THEN 'member' ELSE 'viewer' END, now(), now()
FROM (
    SELECT u, 1 + floor(1000 * power((abs(hashtext(u || ':' || k)) % 1000000) / 1000000.0, 2))::int AS ws,
           abs(hashtext('role' || u || ':' || k)) % 100 AS r
    FROM generate_series(1, 10000) AS u, generate_series(1, 5) AS k
    WHERE k <= 1 + u % 5
) AS draws
WHERE NOT EXISTS (SELECT 1 FROM api.memberships m
                  WHERE m.workspace_id = md5('ws' || ws)::uuid AND m.user_id = md5('user' || u)::uuid)
ORDER BY ws, u;

-- documents: doc1 … doc100000, 100 per workspace, words drawn from a small vocabulary so
-- full-text search finds a few dozen matches per workspace
INSERT INTO api.documents (id, workspace_id, title, body, metadata, created_by, created_at, updated_at)
SELECT md5('doc' || d)::uuid, md5('ws' || w)::uuid,
       'Document ' || d || ' about ' || v[1 + d % cardinality(v)] || ' and ' || v[1 + (d / 7) % cardinality(v)],
       (SELECT string_agg(v[1 + abs(hashtext(d || ':' || k)) % cardinality(v)], ' ')
        FROM generate_series(1, 40) AS k),
       jsonb_build_object('n', d), md5('user' || (10 * (w - 1) + 1))::uuid,
       now() - make_interval(mins => d), now() - make_interval(mins => d)
FROM generate_series(1, 100000) AS d,
     LATERAL (SELECT 1 + (d - 1) % 1000 AS w) AS ws,
     (SELECT string_to_array(
        'revenue report quarter growth region cost support backlog customer churn pricing '
        'launch roadmap hiring budget forecast incident outage latency database index query '
        'policy security audit review design api gateway worker queue prompt model token '
        'invoice contract renewal partner market survey feedback release bug feature sprint '
        'planning retrospective metric dashboard alert capacity storage network backup restore '
        'migration schema', ' ') AS v) AS vocab;

-- one prompt (prompt1 … prompt1000) with one version per workspace, for the fake provider
INSERT INTO api.prompts (id, workspace_id, name, created_by)
SELECT md5('prompt' || w)::uuid, md5('ws' || w)::uuid, 'greet', md5('user' || (10 * (w - 1) + 1))::uuid
FROM generate_series(1, 1000) AS w;
INSERT INTO api.prompt_versions (id, prompt_id, workspace_id, version, template, variables, model,
                                 params, created_by)
SELECT md5('version' || w)::uuid, md5('prompt' || w)::uuid, md5('ws' || w)::uuid, 1,
       'Say hello to {{name}}', '{"name": "string"}', 'fake-chat', '{"max_tokens": 16}',
       md5('user' || (10 * (w - 1) + 1))::uuid
FROM generate_series(1, 1000) AS w;

-- AI requests: 100 finished ones per workspace over the last 90 days
INSERT INTO api.ai_requests (id, workspace_id, prompt_version_id, inputs, status, result, error,
                             attempts, tokens_in, tokens_out, cost, requested_by, created_at,
                             started_at, finished_at, updated_at)
SELECT md5('air' || a)::uuid, md5('ws' || w)::uuid, md5('version' || w)::uuid,
       jsonb_build_object('name', 'n' || a),
       CASE WHEN a % 20 = 0 THEN 'failed' ELSE 'succeeded' END,
       CASE WHEN a % 20 = 0 THEN NULL ELSE '[fake] hello n' || a END,
       CASE WHEN a % 20 = 0 THEN 'upstream timed out' END,
       1, 12, 16, 0.000042, md5('user' || (10 * (w - 1) + 1))::uuid,
       t, t + interval '20 ms', t + interval '70 ms', t + interval '70 ms'
FROM generate_series(1, 100000) AS a,
     LATERAL (SELECT 1 + (a - 1) % 1000 AS w, now() - make_interval(secs => a * 77) AS t) AS x;

SET session_replication_role = DEFAULT;

ANALYZE api.users;
ANALYZE auth.credentials;
ANALYZE api.workspaces;
ANALYZE api.memberships;
ANALYZE api.documents;
ANALYZE api.prompts;
ANALYZE api.prompt_versions;
ANALYZE api.ai_requests;
