-- Full-text search, and the index plan of a member's listing on 100k documents.
BEGIN;
SELECT plan(9);
SELECT tests.make_world();

SELECT tests.login_as('member_a');
SELECT results_eq($$SELECT id FROM api.search_documents(tests.uid('workspace_a'), 'revenue')$$,
                  ARRAY[tests.uid('doc_a1')], 'search finds the matching document of the workspace');
SELECT is((SELECT count(*) FROM api.search_documents(tests.uid('workspace_b'), 'revenue')), 0::bigint,
          'searching another workspace finds nothing (RLS)');
SELECT ok((SELECT headline LIKE '%<b>Revenue</b>%' FROM api.search_documents(tests.uid('workspace_a'), 'revenue')),
          'results carry a highlighted headline');
SELECT throws_ok($$SELECT * FROM api.search_documents(tests.uid('workspace_a'), '  ')$$, '22023',
                 'query must not be empty', 'an empty query is refused (400)');
SELECT tests.clear_authentication();
INSERT INTO api.documents (workspace_id, title, body) VALUES
    (tests.uid('workspace_a'), 'Revenue revenue revenue', 'All about revenue.');
SELECT tests.login_as('member_a');
SELECT is((SELECT title FROM api.search_documents(tests.uid('workspace_a'), 'revenue') LIMIT 1),
          'Revenue revenue revenue', 'results are ranked: title matches weigh more');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT * FROM api.search_documents(tests.uid('workspace_a'), 'revenue')$$, '42501', NULL,
                 'anon cannot search');
SELECT tests.clear_authentication();

-- 100k documents in 200 workspaces; member_a belongs to one of them (plus A).
SET LOCAL session_replication_role = replica;  -- bulk load without event triggers
INSERT INTO api.workspaces (id, name)
SELECT md5('bulk ws ' || i)::uuid, 'Bulk ' || i FROM generate_series(1, 200) i;
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (md5('bulk ws 1')::uuid, tests.uid('member_a'), 'member');
INSERT INTO api.documents (workspace_id, title, body, created_at)
SELECT md5('bulk ws ' || (i % 200 + 1))::uuid, 'Document ' || i, 'Body of document ' || i,
       now() - i * interval '1 minute'
FROM generate_series(1, 100000) i;
SET LOCAL session_replication_role = origin;
ANALYZE api.documents;
ANALYZE api.memberships;

CREATE FUNCTION pg_temp.plan_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || statement LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.plan_of(text) TO authenticated;
SELECT tests.login_as('member_a');
SELECT diag(pg_temp.plan_of('SELECT id, title FROM api.documents ORDER BY created_at DESC LIMIT 10'));
SELECT ok(pg_temp.plan_of('SELECT id, title FROM api.documents ORDER BY created_at DESC LIMIT 10')
          ~ 'Index (Only )?Scan (using|on) documents_workspace_id_created_at_idx',
          'a member''s listing uses the workspace index');
SELECT ok(pg_temp.plan_of('SELECT id, title FROM api.documents ORDER BY created_at DESC LIMIT 10') !~ 'Seq Scan on documents',
          'and never scans all 100k documents');
SELECT is((SELECT count(*) FROM api.documents), 503::bigint, 'member_a sees A''s 3 documents and 500 of the bulk workspace');

SELECT * FROM finish();
ROLLBACK;
