-- Revert taproot:api_ai_routes from pg
BEGIN;

DROP FUNCTION api.ai_route(uuid, text);
DROP TABLE api.ai_routes;

COMMIT;
