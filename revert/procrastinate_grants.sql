-- Revert taproot:procrastinate_grants from pg
BEGIN;

ALTER ROLE worker RESET search_path;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA procrastinate FROM worker;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA procrastinate FROM worker;
REVOKE ALL ON ALL TABLES IN SCHEMA procrastinate FROM worker;
REVOKE USAGE ON SCHEMA procrastinate FROM worker;

COMMIT;
