-- Schema conventions, checked over the whole catalog so that new changes keep them:
-- indexed foreign keys, sentence-named policies, updated_at triggers, invoker views,
-- documented objects.
BEGIN;
SELECT plan(7);

SELECT is(array_agg(format('%s (%s)', c.conrelid::regclass, c.conname) ORDER BY 1), NULL,
          'every foreign key has an index starting with its columns')
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname IN ('api', 'app', 'auth')
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey);

SELECT is(array_agg(format('%s on %s', p.polname, p.polrelid::regclass) ORDER BY 1), NULL,
          'every policy is named as a sentence (at least four words)')
FROM pg_policy p
WHERE array_length(regexp_split_to_array(p.polname, '\s+'), 1) < 4;

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'every table with updated_at keeps it with app.touch_updated_at()')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at' AND NOT a.attisdropped
WHERE n.nspname IN ('api', 'app', 'auth') AND c.relkind = 'r'
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid
                  AND t.tgfoid = 'app.touch_updated_at()'::regprocedure);

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'every view in api runs with the caller''s rights (security_invoker), so RLS applies')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'api' AND c.relkind = 'v'
  AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false);

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'every table and view in api, app, auth and reporting has a comment')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'app', 'auth', 'reporting') AND c.relkind IN ('r', 'v')
  AND obj_description(c.oid, 'pg_class') IS NULL;

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every function in api, app and auth has a comment')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'app', 'auth') AND obj_description(p.oid, 'pg_proc') IS NULL;

SELECT is(array_agg(format('%s.%s', c.oid::regclass, a.attname) ORDER BY 1), NULL,
          'timestamps are timestamptz')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'app', 'auth') AND c.relkind = 'r' AND NOT a.attisdropped
  AND a.atttypid = 'timestamp'::regtype;

SELECT * FROM finish();
ROLLBACK;
