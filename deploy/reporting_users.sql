-- Deploy taproot:reporting_users to pg
-- requires: reporting_schema, api_users, api_memberships, auth_credentials
-- Users for analysts, emails masked (a***@example.com). Reporting views run with their
-- owner's rights, so the analyst reads them without any access to api, app or auth.
BEGIN;

CREATE VIEW reporting.users AS
    SELECT u.id,
           regexp_replace(u.email::text, '^(.)[^@]*(@.*)$', '\1***\2') AS email_masked,
           CASE WHEN c.user_id IS NULL THEN 'invited' ELSE c.status END AS status,
           (SELECT count(*) FROM api.memberships m WHERE m.user_id = u.id) AS workspaces,
           u.created_at
    FROM api.users u
    LEFT JOIN auth.credentials c ON c.user_id = u.id;
COMMENT ON VIEW reporting.users IS
    'One row per user: masked email, status (active, disabled, invited), number of workspaces, created_at';
GRANT SELECT ON reporting.users TO analyst;

COMMIT;
