-- Verify taproot:extensions on pg
BEGIN;

SELECT 1 / count(*) FROM pg_extension WHERE extname = 'pgcrypto';
SELECT 1 / count(*) FROM pg_extension WHERE extname = 'citext';
SELECT extensions.gen_random_uuid();

ROLLBACK;
