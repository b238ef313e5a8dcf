-- Verify taproot:api_prompt_versions_author_removal on pg
BEGIN;

SELECT 1 / (pg_catalog.obj_description('app.refuse_prompt_version_change()'::regprocedure, 'pg_proc')
            LIKE '%author is deleted%')::int;

ROLLBACK;
