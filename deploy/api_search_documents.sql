-- Deploy taproot:api_search_documents to pg
-- requires: api_documents_rls
-- Ranked full-text search in one workspace. SECURITY INVOKER: RLS decides what is found.
BEGIN;

CREATE FUNCTION api.search_documents(workspace_id uuid, query text)
RETURNS TABLE (id uuid, title text, headline text, rank real, metadata jsonb,
               created_by uuid, created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    tsq tsquery;
BEGIN
    IF search_documents.workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF search_documents.query IS NULL OR pg_catalog.btrim(search_documents.query) = '' THEN
        RAISE EXCEPTION 'query must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    tsq := pg_catalog.websearch_to_tsquery('english'::regconfig, search_documents.query);
    RETURN QUERY
        SELECT d.id, d.title,
               pg_catalog.ts_headline('english'::regconfig, d.body, tsq,
                                      'MaxFragments=2, MaxWords=20, MinWords=5'),
               pg_catalog.ts_rank_cd(d.search, tsq), d.metadata, d.created_by, d.created_at,
               d.updated_at
        FROM api.documents d
        WHERE d.workspace_id = search_documents.workspace_id AND d.search @@ tsq
        ORDER BY 4 DESC, d.updated_at DESC;
END
$$;
COMMENT ON FUNCTION api.search_documents(uuid, text) IS
    'Documents of a workspace matching a web-style query ("quoted phrase", or, -not), best first, '
    'with a highlighted headline. Errors: 22023 when the query is empty.';
GRANT EXECUTE ON FUNCTION api.search_documents(uuid, text) TO authenticated, service_role, worker;

COMMIT;
