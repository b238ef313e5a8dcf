-- Deploy taproot:app_email_domain to pg
-- requires: app_schema, extensions
-- Email addresses compare case-insensitively (citext) and must look like name@host.tld.
BEGIN;

CREATE DOMAIN app.email_address AS extensions.citext
    CONSTRAINT email_address_format
        CHECK (VALUE::text ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
               AND length(VALUE::text) <= 254);
COMMENT ON DOMAIN app.email_address IS
    'An email address: case-insensitive, shaped like name@example.com, at most 254 characters';

COMMIT;
