-- What `python -m gateway.typescript` needs beyond the schema cache (gateway/schema_cache.sql):
-- identity columns, view updatability, enum and composite types, argument modes.
-- $1 is the array of exposed schemas. Read-only catalog queries.

-- name: identity_columns
SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
       a.attidentity::text AS identity
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity <> '';

-- name: view_updatability
-- A view is updatable when both UPDATE and DELETE go through it without rules or
-- triggers (as postgres-meta decides); its columns one by one.
SELECT n.nspname AS schema, c.relname AS view,
       (pg_relation_is_updatable(c.oid::regclass, false) & 20) = 20 AS updatable,
       coalesce(array_agg(a.attname ORDER BY a.attnum)
                FILTER (WHERE pg_column_is_updatable(c.oid::regclass, a.attnum, false)),
                '{}') AS updatable_columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = ANY($1::text[]) AND c.relkind = 'v'
GROUP BY n.nspname, c.relname, c.oid;

-- name: enums
-- Every user enum, exposed or not: a column may use an enum from an unexposed schema.
SELECT n.nspname AS schema, t.typname::text AS name,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
GROUP BY n.nspname, t.typname;

-- name: composite_types
SELECT n.nspname AS schema, t.typname::text AS name,
       array_agg(a.attname::text ORDER BY a.attnum) AS attributes,
       array_agg(coalesce(bt.typname, at.typname)::text ORDER BY a.attnum) AS attribute_types
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type at ON at.oid = a.atttypid
LEFT JOIN pg_type bt ON at.typtype = 'd' AND bt.oid = at.typbasetype
WHERE n.nspname = ANY($1::text[])
GROUP BY n.nspname, t.typname;

-- name: argument_modes
-- i in, o out, b inout, v variadic, t TABLE column; functions without OUT/INOUT/VARIADIC
-- arguments have no modes recorded.
SELECT p.oid::bigint AS oid, coalesce(p.proargmodes::text[], '{}') AS modes
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[]) AND p.prokind = 'f';
