-- Deploy taproot:app_ai_prices to pg
-- requires: app_schema, extensions
-- Versioned list prices of AI models (USD per million tokens) and app.ai_cost(), which prices
-- one call at the rates in force at a given time. A new price is a new row with a later
-- effective_from, never an update: old usage keeps the price it was charged at.
BEGIN;

CREATE TABLE app.ai_prices (
    provider              text NOT NULL
        CONSTRAINT ai_prices_provider_format CHECK (provider ~ '^[a-z][a-z0-9_-]{0,49}$'),
    model                 text NOT NULL
        CONSTRAINT ai_prices_model_length CHECK (length(model) BETWEEN 1 AND 200),
    effective_from        timestamptz NOT NULL,
    input_per_mtok        numeric(12, 6) NOT NULL CONSTRAINT ai_prices_input_positive CHECK (input_per_mtok >= 0),
    output_per_mtok       numeric(12, 6) NOT NULL CONSTRAINT ai_prices_output_positive CHECK (output_per_mtok >= 0),
    cached_input_per_mtok numeric(12, 6) CONSTRAINT ai_prices_cached_input_positive CHECK (cached_input_per_mtok >= 0),
    cache_write_per_mtok  numeric(12, 6) CONSTRAINT ai_prices_cache_write_positive CHECK (cache_write_per_mtok >= 0),
    PRIMARY KEY (provider, model, effective_from)
);
COMMENT ON TABLE app.ai_prices IS
    'List prices in USD per million tokens, per provider, model and start date; '
    'cached/cache-write rates NULL = the input rate';

ALTER TABLE app.ai_prices ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.ai_prices FORCE ROW LEVEL SECURITY;
GRANT SELECT ON app.ai_prices TO authenticated, service_role, worker;
GRANT INSERT, UPDATE, DELETE ON app.ai_prices TO service_role;
CREATE POLICY "signed-in users read all prices" ON app.ai_prices
    FOR SELECT TO authenticated USING (true);
CREATE POLICY "the worker reads all prices" ON app.ai_prices
    FOR SELECT TO worker USING (true);
CREATE POLICY "the service role reads all prices" ON app.ai_prices
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds prices" ON app.ai_prices
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role corrects prices" ON app.ai_prices
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes prices" ON app.ai_prices
    FOR DELETE TO service_role USING (true);

-- Public list prices (standard tier) at the time of writing. Fake models cost nothing.
INSERT INTO app.ai_prices (provider, model, effective_from, input_per_mtok, output_per_mtok,
                           cached_input_per_mtok, cache_write_per_mtok) VALUES
    ('fake',      'fake',                       '2024-01-01Z', 0,     0,     NULL,  NULL),
    ('fake',      'fake-chat',                  '2024-01-01Z', 0,     0,     NULL,  NULL),
    ('fake',      'fake-embedding',             '2024-01-01Z', 0,     0,     NULL,  NULL),
    ('fake',      'demo-model',                 '2024-01-01Z', 0,     0,     NULL,  NULL),
    ('openai',    'gpt-4o-mini',                '2024-07-18Z', 0.15,  0.60,  0.075, NULL),
    ('openai',    'gpt-4o',                     '2024-05-13Z', 5.00,  15.00, NULL,  NULL),
    ('openai',    'gpt-4o',                     '2024-10-02Z', 2.50,  10.00, 1.25,  NULL),
    ('openai',    'gpt-4.1',                    '2025-04-14Z', 2.00,  8.00,  0.50,  NULL),
    ('openai',    'gpt-4.1-mini',               '2025-04-14Z', 0.40,  1.60,  0.10,  NULL),
    ('openai',    'gpt-4.1-nano',               '2025-04-14Z', 0.10,  0.40,  0.025, NULL),
    ('openai',    'o4-mini',                    '2025-04-16Z', 1.10,  4.40,  0.275, NULL),
    ('openai',    'text-embedding-3-small',     '2024-01-25Z', 0.02,  0,     NULL,  NULL),
    ('openai',    'text-embedding-3-large',     '2024-01-25Z', 0.13,  0,     NULL,  NULL),
    ('anthropic', 'claude-3-5-haiku-20241022',  '2024-11-04Z', 0.80,  4.00,  0.08,  1.00),
    ('anthropic', 'claude-3-5-haiku-latest',    '2024-11-04Z', 0.80,  4.00,  0.08,  1.00),
    ('anthropic', 'claude-3-haiku-20240307',    '2024-03-07Z', 0.25,  1.25,  0.03,  0.30),
    ('anthropic', 'claude-3-5-sonnet-20241022', '2024-10-22Z', 3.00,  15.00, 0.30,  3.75),
    ('anthropic', 'claude-3-7-sonnet-20250219', '2025-02-19Z', 3.00,  15.00, 0.30,  3.75),
    ('anthropic', 'claude-sonnet-4-20250514',   '2025-05-14Z', 3.00,  15.00, 0.30,  3.75),
    ('anthropic', 'claude-opus-4-20250514',     '2025-05-14Z', 15.00, 75.00, 1.50,  18.75);

-- Invoker rights: prices are readable by every role that may call it.
CREATE FUNCTION app.ai_cost(p_provider text, p_model text, p_at timestamptz, p_input bigint,
                            p_output bigint, p_cached_input bigint, p_cache_write bigint)
RETURNS numeric(12, 6)
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT coalesce((
        SELECT round((greatest(coalesce(p_input, 0) - coalesce(p_cached_input, 0) - coalesce(p_cache_write, 0), 0)
                          * p.input_per_mtok
                      + coalesce(p_cached_input, 0) * coalesce(p.cached_input_per_mtok, p.input_per_mtok)
                      + coalesce(p_cache_write, 0) * coalesce(p.cache_write_per_mtok, p.input_per_mtok)
                      + coalesce(p_output, 0) * p.output_per_mtok) / 1000000, 6)
        FROM app.ai_prices p
        WHERE p.provider = p_provider AND p.model = p_model AND p.effective_from <= p_at
        ORDER BY p.effective_from DESC
        LIMIT 1), 0)::numeric(12, 6)
$$;
COMMENT ON FUNCTION app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint) IS
    'USD cost of one call at the price in force at p_at: input tokens include the cached and '
    'cache-write ones, which are charged at their own rates (the input rate when NULL); unknown model = 0';
GRANT EXECUTE ON FUNCTION app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint)
    TO authenticated, service_role, worker;

COMMIT;
