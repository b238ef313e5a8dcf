-- In-database configuration (db-config), as PostgREST's Config/Database.hs reads it.

-- name: db_settings
-- The pgrst.* settings of the login role: `ALTER ROLE authenticator IN DATABASE x SET …`
-- wins over `ALTER ROLE authenticator SET …`, which wins over what db-pre-config set in
-- this transaction ($2: whether it ran). `ALTER DATABASE x SET pgrst.…` alone has no effect.
-- $1 are the full names (pgrst.db_schemas, …); the key comes back without the prefix.
WITH role_setting AS (
    SELECT s.setdatabase AS database, unnest(s.setconfig) AS setting
    FROM pg_catalog.pg_db_role_setting s
    WHERE s.setrole = CURRENT_USER::regrole::oid
      AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                WHERE d.datname = CURRENT_CATALOG))
),
kv_settings AS (
    SELECT database,
           substr(setting, 1, strpos(setting, '=') - 1) AS k,
           substr(setting, strpos(setting, '=') + 1) AS v
    FROM role_setting
    UNION
    SELECT NULL, x, current_setting(x, true)
    FROM unnest($1::text[]) AS x
    WHERE $2::boolean
)
SELECT DISTINCT ON (key) replace(k, 'pgrst.', '') AS key, v AS value
FROM kv_settings
WHERE k = ANY($1::text[]) AND v IS NOT NULL
ORDER BY key, database DESC NULLS LAST;
