-- Catalog introspection for the schema cache. Run once at start-up and on reload,
-- never on the request path. $1 is always the array of exposed schemas.

-- name: relations
-- Tables, views, materialized views, foreign and partitioned tables with what the
-- current (authenticator) connection could do to them, their primary key and comment.
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind::text AS kind,
       obj_description(c.oid, 'pg_class') AS description,
       (c.relkind IN ('r', 'p')
        OR (c.relkind IN ('v', 'f') AND (pg_relation_is_updatable(c.oid::regclass, true) & 8) = 8))
         AS insertable,
       (c.relkind IN ('r', 'p')
        OR (c.relkind IN ('v', 'f') AND (pg_relation_is_updatable(c.oid::regclass, true) & 4) = 4))
         AS updatable,
       (c.relkind IN ('r', 'p')
        OR (c.relkind IN ('v', 'f') AND (pg_relation_is_updatable(c.oid::regclass, true) & 16) = 16))
         AS deletable,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                 FROM pg_constraint con
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                 WHERE con.conrelid = c.oid AND con.contype = 'p'), '{}') AS pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
ORDER BY n.nspname, c.relname;

-- name: columns
-- Columns of the relations above, and of composite types functions return.
-- base_type resolves domains, so that a domain over jsonb still gets JSON arrows.
SELECT n.nspname AS schema,
       c.relname AS name,
       a.attname AS column,
       a.attnum AS position,
       format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(bt.typname, t.typname)::text AS base_type,
       t.typcategory::text AS category,
       NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS "default",
       a.attgenerated <> '' AS generated,
       col_description(c.oid, a.attnum) AS description,
       CASE WHEN coalesce(bt.typtype, t.typtype) = 'e' THEN
         (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
          WHERE e.enumtypid = coalesce(bt.oid, t.oid))
       END AS enum,
       CASE WHEN a.atttypmod > 4 AND coalesce(bt.typname, t.typname) IN ('varchar', 'bpchar')
            THEN a.atttypmod - 4 END AS max_length,
       (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r
        WHERE r.rngtypid = coalesce(bt.oid, t.oid)) AS range_subtype,
       -- what Prefer: missing=default inserts for a key left out (identity included)
       coalesce(pg_get_expr(d.adbin, d.adrelid),
                CASE WHEN a.attidentity IN ('a', 'd') THEN
                  (SELECT format('nextval(%L::regclass)', dep.objid::regclass::text)
                   FROM pg_depend dep
                   WHERE dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
                     AND dep.classid = 'pg_class'::regclass AND dep.deptype = 'i'
                   LIMIT 1)
                END) AS insert_default
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND (
    (n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'f', 'p', 'c'))
    OR c.oid IN (SELECT rt.typrelid FROM pg_proc p
                 JOIN pg_namespace pn ON pn.oid = p.pronamespace
                 JOIN pg_type rt ON rt.oid = p.prorettype
                 WHERE pn.nspname = ANY($1::text[]) AND rt.typrelid <> 0)
  )
ORDER BY n.nspname, c.relname, a.attnum;

-- name: foreign_keys
SELECT con.conname AS name,
       ns.nspname AS schema, cs.relname AS table,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       nf.nspname AS ref_schema, cf.relname AS ref_table,
       array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS ref_columns
FROM pg_constraint con
JOIN pg_class cs ON cs.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = cs.relnamespace
JOIN pg_class cf ON cf.oid = con.confrelid
JOIN pg_namespace nf ON nf.oid = cf.relnamespace
WHERE con.contype = 'f'
  AND (ns.nspname = ANY($1::text[]) OR nf.nspname = ANY($1::text[]))
ORDER BY ns.nspname, cs.relname, con.conname;

-- name: unique_keys
SELECT ns.nspname AS schema, cs.relname AS table, con.conname AS name,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns
FROM pg_constraint con
JOIN pg_class cs ON cs.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = cs.relnamespace
WHERE con.contype IN ('u', 'p') AND ns.nspname = ANY($1::text[]);

-- name: functions
-- Functions (not procedures, not aggregates) with their arguments in order. A composite
-- or TABLE/OUT result is described by ret_columns; ret_schema/ret_name name the relation
-- when the function returns rows of a table or view.
SELECT p.oid::bigint AS oid,
       n.nspname AS schema,
       p.proname AS name,
       obj_description(p.oid, 'pg_proc') AS description,
       coalesce(p.proargnames, '{}') AS arg_names,
       coalesce(p.proargmodes::text[], '{}') AS arg_modes,
       array(SELECT format_type(t.oid, NULL)
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                  WITH ORDINALITY u(typ, ord)
             JOIN pg_type t ON t.oid = u.typ ORDER BY u.ord) AS arg_types,
       array(SELECT coalesce(bt.typname, t.typname)::text
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                  WITH ORDINALITY u(typ, ord)
             JOIN pg_type t ON t.oid = u.typ
             LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
             ORDER BY u.ord) AS arg_base_types,
       p.pronargs AS n_args,
       p.pronargdefaults AS n_defaults,
       p.provariadic <> 0 AS variadic,
       format_type(p.prorettype, NULL) AS return_type,
       rt.typname::text AS return_base,
       rt.typtype::text AS return_typtype,
       p.proretset AS returns_set,
       p.provolatile::text AS volatility,
       rn.nspname AS ret_schema,
       rc.relname AS ret_name,
       rc.relkind::text AS ret_kind,
       p.prorows::float8 AS rows,
       -- a function of one table row is a computed relationship of that table
       (SELECT an.nspname FROM pg_type at JOIN pg_class ac ON ac.oid = at.typrelid
        JOIN pg_namespace an ON an.oid = ac.relnamespace
        WHERE p.pronargs = 1 AND at.oid = p.proargtypes[0]) AS arg_schema,
       (SELECT ac.relname FROM pg_type at JOIN pg_class ac ON ac.oid = at.typrelid
        WHERE p.pronargs = 1 AND at.oid = p.proargtypes[0]) AS arg_table
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type rt ON rt.oid = p.prorettype
LEFT JOIN pg_class rc ON rc.oid = rt.typrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND p.prokind = 'f'
ORDER BY n.nspname, p.proname, p.oid;

-- name: types
-- Type names a select cast (`col::text`) may use.
SELECT t.typname::text AS name, n.nspname AS schema
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE (n.nspname = 'pg_catalog' OR n.nspname = ANY($1::text[]))
  AND t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
  AND t.typname !~ '^_' AND t.typname !~ '^pg_';

-- name: schema_comments
SELECT n.nspname AS schema, obj_description(n.oid, 'pg_namespace') AS description
FROM pg_namespace n
WHERE n.nspname = ANY($1::text[]);

-- name: timezones
SELECT name FROM pg_timezone_names;

-- name: settings
SELECT current_setting('server_version_num')::int AS version,
       current_setting('server_version') AS version_text;

-- name: view_columns
-- Which base column each view column shows, read from the view's rewrite rule as
-- PostgREST does (:resorigtbl/:resorigcol of its target entries), so that views inherit
-- the primary and foreign keys of their tables. Nested target entries come first in
-- the node text, so the last entry for a column number is the view's own.
SELECT vn.nspname AS schema, vc.relname AS view, va.attname AS column, m.ord,
       bn.nspname AS base_schema, bc.relname AS base_table, ba.attname AS base_column,
       m.g[1]::int AS resno
FROM pg_rewrite r
JOIN pg_class vc ON vc.oid = r.ev_class AND vc.relkind IN ('v', 'm')
JOIN pg_namespace vn ON vn.oid = vc.relnamespace
CROSS JOIN LATERAL regexp_matches(
  r.ev_action::text,
  ':resno (\d+) :resname \S+ :ressortgroupref \d+ :resorigtbl (\d+) :resorigcol (\d+)',
  'g') WITH ORDINALITY AS m(g, ord)
JOIN pg_attribute va ON va.attrelid = vc.oid AND va.attnum = m.g[1]::int
JOIN pg_class bc ON bc.oid = m.g[2]::oid
JOIN pg_namespace bn ON bn.oid = bc.relnamespace
JOIN pg_attribute ba ON ba.attrelid = bc.oid AND ba.attnum = m.g[3]::int
WHERE vn.nspname = ANY($1::text[]) AND r.rulename = '_RETURN'
ORDER BY vn.nspname, vc.relname, m.ord;

-- name: media_handlers
-- Custom media-type handlers, as PostgREST 12's SchemaCache.mediaHandlers: domains named
-- after a media type ("text/csv", "application/vnd.twkb", "*/*" for any) returned by an
-- aggregate of one relation row type (or anyelement), which renders that relation's
-- rows, or by a (not set-returning) function, which renders its own result. "*/*"
-- answers application/octet-stream unless the handler sets response.headers.
WITH media_types AS (
  SELECT t.oid, lower(t.typname) AS media_type, n.nspname AS type_schema,
         t.typname::text AS type_name,
         CASE t.typname WHEN '*/*' THEN 'application/octet-stream'
              ELSE lower(t.typname) END AS resolved,
         b.typname = 'bytea' AS binary
  FROM pg_type t
  JOIN pg_type b ON b.oid = t.typbasetype
  JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype = 'd'
    AND (t.typname ~* '^[A-Za-z0-9.-]+/[A-Za-z0-9.+-]+$' OR t.typname = '*/*')
)
SELECT pn.nspname AS handler_schema, p.proname AS handler_name,
       an.nspname AS target_schema, at.typname::text AS target_name,
       mt.media_type, mt.resolved, mt.binary, true AS aggregate
FROM media_types mt
JOIN pg_proc p ON p.prorettype = mt.oid AND p.prokind = 'a' AND p.pronargs = 1
JOIN pg_namespace pn ON pn.oid = p.pronamespace
JOIN pg_type at ON at.oid = p.proargtypes[0]
JOIN pg_namespace an ON an.oid = at.typnamespace
WHERE pn.nspname = ANY($1::text[])
  AND (at.typname = 'anyelement'
       OR at.typrelid IN (SELECT c.oid FROM pg_class c WHERE c.relkind IN ('v', 'r', 'm', 'f', 'p')))
UNION ALL
SELECT mt.type_schema, mt.type_name, fn.nspname, p.proname::text,
       mt.media_type, mt.resolved, mt.binary, false
FROM media_types mt
JOIN pg_proc p ON p.prorettype = mt.oid AND p.prokind = 'f' AND NOT p.proretset
JOIN pg_namespace fn ON fn.oid = p.pronamespace
WHERE fn.nspname = ANY($1::text[])
ORDER BY 1, 2, 3, 4;

-- name: postgis
-- Whether ST_AsGeoJSON(record) exists (PostGIS >= 3), which application/geo+json needs.
SELECT EXISTS (SELECT 1 FROM pg_proc p
               WHERE p.proname = 'st_asgeojson' AND p.pronargs >= 1
                 AND p.proargtypes[0] = 'record'::regtype) AS present;
