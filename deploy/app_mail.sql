-- Deploy taproot:app_mail to pg
-- requires: app_defer_job, app_request_ids, app_email_domain, app_schema
-- The outbox of account mail (invitations, email verification, email change, password
-- reset). A definer function that issues a token calls app.queue_mail in its own
-- transaction: the message row and its Procrastinate job (task mail.send, queue mail) are
-- created with the token or not at all. The worker claims the message, renders and sends
-- it (or keeps it in the local inbox), then records the outcome; a message that is no longer
-- queued is never sent again, so a retried or duplicated job sends nothing twice.
--
-- The raw one-time token travels in data->'token' because the mail must carry it and the
-- issuer keeps only a digest. Only the worker role can read this table (no grant or policy
-- for any client role), and the token is scrubbed from data as soon as the message leaves
-- the queue (sent, kept in the local inbox, or failed for good): after that the row is a
-- record of what was sent to whom, and can no longer be used to take over an account.
BEGIN;

CREATE TABLE app.mail_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template        text NOT NULL
        CONSTRAINT mail_messages_template_known
            CHECK (template IN ('invitation', 'verify_email', 'email_change', 'password_reset')),
    recipient       app.email_address NOT NULL,
    data            jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT mail_messages_data_object CHECK (pg_catalog.jsonb_typeof(data) = 'object'),
    status          text NOT NULL DEFAULT 'queued'
        CONSTRAINT mail_messages_status_known CHECK (status IN ('queued', 'sent', 'failed', 'kept')),
    attempts        integer NOT NULL DEFAULT 0 CONSTRAINT mail_messages_attempts_positive CHECK (attempts >= 0),
    last_error      text,
    -- Jobs are pruned after their retention; the message stays as the record, so no FK.
    job_id          bigint,
    http_request_id text DEFAULT app.current_request_id(),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    sent_at         timestamptz,
    -- Once out of the queue the token is gone (see the header): the table cannot keep one.
    CONSTRAINT mail_messages_token_only_while_queued CHECK (status = 'queued' OR NOT (data ? 'token')),
    CONSTRAINT mail_messages_sent_at_when_delivered CHECK ((sent_at IS NOT NULL) = (status IN ('sent', 'kept')))
);
COMMENT ON TABLE app.mail_messages IS
    'Account mail queued by app.queue_mail and delivered by the mail.send job; the one-time token in data is '
    'removed when the message leaves the queue. Worker-only.';
COMMENT ON COLUMN app.mail_messages.template IS 'invitation | verify_email | email_change | password_reset';
COMMENT ON COLUMN app.mail_messages.data IS
    'The template''s values (token, expires_at, names…); token is present only while status = queued';
COMMENT ON COLUMN app.mail_messages.status IS
    'queued (waiting or retrying), sent (accepted by the SMTP server), kept (written to the local inbox), failed';
COMMENT ON COLUMN app.mail_messages.attempts IS 'Delivery attempts claimed so far';
COMMENT ON COLUMN app.mail_messages.last_error IS 'Why the last attempt failed (kept while retrying)';
COMMENT ON COLUMN app.mail_messages.job_id IS 'The Procrastinate job that delivers the message';
COMMENT ON COLUMN app.mail_messages.http_request_id IS 'The HTTP request (X-Request-Id) that queued the message';
COMMENT ON COLUMN app.mail_messages.sent_at IS 'When the SMTP server accepted it, or it was kept in the local inbox';
CREATE INDEX mail_messages_recipient_idx ON app.mail_messages (recipient, created_at);

ALTER TABLE app.mail_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.mail_messages FORCE ROW LEVEL SECURITY;
REVOKE ALL ON app.mail_messages FROM PUBLIC;
GRANT SELECT, UPDATE (status, attempts, last_error, data, sent_at) ON app.mail_messages TO worker;
CREATE POLICY "the worker reads the mail it delivers" ON app.mail_messages
    FOR SELECT TO worker USING (true);
CREATE POLICY "the worker records how delivery went" ON app.mail_messages
    FOR UPDATE TO worker USING (true) WITH CHECK (true);

CREATE FUNCTION app.queue_mail(p_template text, p_to text, p_data jsonb)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    required text[] := CASE p_template
        WHEN 'invitation'     THEN ARRAY['token', 'expires_at']
        WHEN 'verify_email'   THEN ARRAY['token', 'expires_at']
        WHEN 'email_change'   THEN ARRAY['token', 'expires_at', 'new_email']
        WHEN 'password_reset' THEN ARRAY['token', 'expires_at']
    END;
    missing text[];
    v_recipient app.email_address;
    message_id bigint;
    job bigint;
BEGIN
    IF required IS NULL THEN
        RAISE EXCEPTION 'mail template % is not known', coalesce(pg_catalog.quote_literal(p_template), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use invitation, verify_email, email_change or password_reset.';
    END IF;
    BEGIN
        v_recipient := p_to::app.email_address;  -- the domain's own check, so the rules cannot drift
    EXCEPTION WHEN check_violation THEN
        v_recipient := NULL;
    END;
    IF v_recipient IS NULL THEN
        RAISE EXCEPTION 'the mail recipient % is not an email address', coalesce(pg_catalog.quote_literal(p_to), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'An address looks like name@example.com (at most 254 characters).';
    END IF;
    IF p_data IS NULL OR pg_catalog.jsonb_typeof(p_data) <> 'object' THEN
        RAISE EXCEPTION 'the data of a % mail must be a JSON object', p_template
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT pg_catalog.array_agg(k ORDER BY k) INTO missing
    FROM pg_catalog.unnest(required) k
    WHERE coalesce(p_data ->> k, '') = '';
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'the data of a % mail lacks %', p_template, pg_catalog.array_to_string(missing, ', ')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = pg_catalog.format('A %s mail needs %s.', p_template, pg_catalog.array_to_string(required, ', '));
    END IF;
    INSERT INTO app.mail_messages (template, recipient, data)
    VALUES (p_template, v_recipient, p_data)
    RETURNING id INTO message_id;
    -- The lock makes duplicate jobs of one message run one after the other, so the second
    -- finds it no longer queued instead of racing the first to the SMTP server.
    job := app.defer_job('mail.send', pg_catalog.jsonb_build_object('message_id', message_id), 'mail',
                         'mail:' || message_id);
    UPDATE app.mail_messages SET job_id = job WHERE id = message_id;
    RETURN message_id;
END
$$;
COMMENT ON FUNCTION app.queue_mail(text, text, jsonb) IS
    'Queue account mail (template invitation | verify_email | email_change | password_reset, recipient, data '
    'with the raw token) and its mail.send job in the caller''s transaction; returns the message id. Only for '
    'definer functions owned by the schema owner.';
REVOKE EXECUTE ON FUNCTION app.queue_mail(text, text, jsonb) FROM PUBLIC;

-- The worker's side: invoker functions under the worker's own grants and policies.
CREATE FUNCTION app.claim_mail(p_message_id bigint)
RETURNS TABLE (attempt integer, template text, recipient text, data jsonb, http_request_id text)
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    -- Only a queued message starts an attempt: sent, kept or failed ones return no row and
    -- the job ends without sending. The UPDATE waits out a concurrent finish.
    UPDATE app.mail_messages m
    SET attempts = m.attempts + 1
    WHERE m.id = p_message_id AND m.status = 'queued'
    RETURNING m.attempts, m.template, m.recipient::text, m.data, m.http_request_id
$$;
COMMENT ON FUNCTION app.claim_mail(bigint) IS
    'Start a delivery attempt of a queued message: its attempt number, template, recipient, data and request id; '
    'no row when the message was already sent, kept or failed';

CREATE FUNCTION app.finish_mail(p_message_id bigint, p_status text, p_error text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('sent', 'kept', 'failed', 'queued') THEN
        RAISE EXCEPTION 'a mail attempt ends sent, kept, failed or queued (to retry), not %', coalesce(p_status, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Leaving the queue scrubs the one-time token: the mail (or the local inbox) has it now,
    -- or it will never be delivered; the rest of data stays as the record.
    UPDATE app.mail_messages m
    SET status = p_status,
        data = CASE WHEN p_status = 'queued' THEN m.data ELSE m.data - 'token' END,
        last_error = CASE WHEN p_status IN ('sent', 'kept') THEN NULL ELSE coalesce(p_error, m.last_error) END,
        sent_at = CASE WHEN p_status IN ('sent', 'kept') THEN pg_catalog.clock_timestamp() END
    WHERE m.id = p_message_id AND m.status = 'queued';
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION app.finish_mail(bigint, text, text) IS
    'Record an attempt''s outcome: sent or kept (token scrubbed, sent_at), failed (token scrubbed, error) or '
    'queued with the error for a retry; false when the message had already left the queue';

REVOKE EXECUTE ON FUNCTION app.claim_mail(bigint), app.finish_mail(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.claim_mail(bigint), app.finish_mail(bigint, text, text) TO worker;

COMMIT;
