-- The benchmark's schema: PostgREST's GETSingle shape (a 12-row table) and a larger
-- table for filtered, ordered pages. Exposed through schema bench to role bench_anon.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_anon') THEN
        CREATE ROLE bench_anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_user') THEN
        CREATE ROLE bench_user NOLOGIN;
    END IF;
END
$$;
GRANT bench_anon, bench_user TO authenticator;

CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO bench_anon, bench_user;

CREATE TABLE bench.items (
    id integer PRIMARY KEY,
    name text NOT NULL,
    price numeric(10, 2) NOT NULL
);
INSERT INTO bench.items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 12) AS i;

CREATE TABLE bench.products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category text NOT NULL,
    name text NOT NULL,
    price numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_price ON bench.products (category, price DESC);
INSERT INTO bench.products (category, name, price)
SELECT 'cat' || (i % 50), 'product ' || i, (i * 37 % 1000) / 10.0
FROM generate_series(1, 100000) AS i;
ANALYZE bench.items;
ANALYZE bench.products;

GRANT SELECT ON ALL TABLES IN SCHEMA bench TO bench_anon, bench_user;
