"""In-database configuration (db-config), as PostgREST's Config/Database.hs reads it.

`ALTER ROLE <login role> SET pgrst.<option>` overrides the file and the environment;
`… IN DATABASE <db> SET` overrides the role-wide value; what db-pre-config sets comes last;
`NOTIFY pgrst, 'reload config'` applies changes to a running gateway (reloadable options
only), and 'reload schema' still reloads the schema cache.
"""

from __future__ import annotations

import time

from psycopg import sql

from taproot.database import Database
from tests.gateway.config._cfg import (
    Conn,
    eventually,
    row_count,
    running,
    set_role,
    settings,
)

RELOAD_CONFIG = "NOTIFY pgrst, 'reload config'"


def test_role_setting_overrides_the_environment(cfg_db: Database, role_conn: Conn) -> None:
    set_role(role_conn, "pgrst.db_max_rows", "2")
    with running(settings(cfg_db, PGRST_DB_MAX_ROWS="1000")) as gw:
        assert row_count(gw) == 2


def test_database_specific_setting_overrides_the_role_wide_one(
    cfg_db: Database, role_conn: Conn
) -> None:
    set_role(role_conn, "pgrst.db_max_rows", "2")
    set_role(role_conn, "pgrst.db_max_rows", "3", in_database=True)
    with running(settings(cfg_db)) as gw:
        assert row_count(gw) == 3


def test_database_setting_alone_has_no_effect(cfg_db: Database, role_conn: Conn) -> None:
    role_conn.execute(
        sql.SQL("ALTER DATABASE {} SET pgrst.db_max_rows = '1'").format(sql.Identifier(cfg_db.name))
    )
    try:
        with running(settings(cfg_db)) as gw:
            assert row_count(gw) == 5
    finally:
        role_conn.execute(
            sql.SQL("ALTER DATABASE {} RESET pgrst.db_max_rows").format(sql.Identifier(cfg_db.name))
        )


def test_db_config_false_ignores_the_database(cfg_db: Database, role_conn: Conn) -> None:
    set_role(role_conn, "pgrst.db_max_rows", "2")
    with running(settings(cfg_db, PGRST_DB_CONFIG="false")) as gw:
        assert row_count(gw) == 5


def test_schemas_from_the_database(cfg_db: Database, role_conn: Conn) -> None:
    set_role(role_conn, "pgrst.db_schemas", "v2")
    with running(settings(cfg_db)) as gw:
        # v2.items is reachable, cfg.rows is not exposed any more
        assert gw.get("/items?select=id&order=id").json() == [{"id": 1}, {"id": 2}]
        assert gw.get("/rows").json()["code"] == "PGRST205"


def test_pre_config_function_is_overridden_by_role_settings(
    cfg_db: Database, role_conn: Conn
) -> None:
    env = settings(cfg_db, PGRST_DB_PRE_CONFIG="cfg.pre_config")
    with running(env) as gw:
        assert row_count(gw) == 4  # what cfg.pre_config() sets
    set_role(role_conn, "pgrst.db_max_rows", "2")
    with running(env) as gw:
        assert row_count(gw) == 2


def test_reload_config_applies_reloadable_options(cfg_db: Database, role_conn: Conn) -> None:
    with running(settings(cfg_db)) as gw:
        assert row_count(gw) == 5
        set_role(role_conn, "pgrst.db_max_rows", "1")
        assert row_count(gw) == 5  # nothing changes before the notification
        role_conn.execute(RELOAD_CONFIG)
        assert eventually(lambda: row_count(gw), 1) == 1
        # a reset and another notification take it back
        role_conn.execute(sql.SQL("ALTER ROLE gw_cfg_auth RESET pgrst.db_max_rows"))
        role_conn.execute(RELOAD_CONFIG)
        assert eventually(lambda: row_count(gw), 5) == 5


def test_reload_config_changes_the_exposed_schemas(cfg_db: Database, role_conn: Conn) -> None:
    with running(settings(cfg_db)) as gw:
        assert gw.get("/items").json()["code"] == "PGRST205"
        set_role(role_conn, "pgrst.db_schemas", "cfg, v2")
        role_conn.execute(RELOAD_CONFIG)
        found = eventually(
            lambda: (
                gw.get("/items?select=id&id=eq.1", headers={"Accept-Profile": "v2"}).status_code
            ),
            200,
        )
        assert found == 200
        assert row_count(gw) == 5  # cfg stays the default schema


def test_reload_config_keeps_options_that_need_a_restart(cfg_db: Database, role_conn: Conn) -> None:
    env = settings(cfg_db, PGRST_ADMIN_SERVER_PORT="0")
    with running(env) as gw:
        # db-tx-end is not reloadable (PostgREST's list), db-max-rows is
        set_role(role_conn, "pgrst.db_tx_end", "rollback")
        set_role(role_conn, "pgrst.db_max_rows", "3")
        role_conn.execute(RELOAD_CONFIG)
        assert eventually(lambda: row_count(gw), 3) == 3
        text = gw.admin("/config").text
        assert 'db-tx-end = "commit"\n' in text and "db-max-rows = 3\n" in text
    # at start-up every in-database option applies, db-tx-end included
    with running(env) as gw:
        assert 'db-tx-end = "rollback"\n' in gw.admin("/config").text


def test_reload_schema_still_reloads_the_schema_cache(cfg_db: Database, role_conn: Conn) -> None:
    with running(settings(cfg_db)) as gw:
        assert gw.get("/late").status_code == 404
        role_conn.execute("CREATE TABLE cfg.late (id integer)")
        try:
            role_conn.execute("GRANT SELECT ON cfg.late TO gw_anon")
            role_conn.execute("NOTIFY pgrst, 'reload schema'")
            assert eventually(lambda: gw.get("/late").status_code, 200) == 200
        finally:
            role_conn.execute("DROP TABLE cfg.late")


def test_a_bad_value_in_the_database_keeps_the_running_config(
    cfg_db: Database, role_conn: Conn
) -> None:
    with running(settings(cfg_db, PGRST_DB_MAX_ROWS="2")) as gw:
        assert row_count(gw) == 2
        set_role(role_conn, "pgrst.db_max_rows", "many")
        role_conn.execute(RELOAD_CONFIG)
        time.sleep(1)  # the reload fails (logged) and changes nothing
        assert row_count(gw) == 2
        # the next good one applies
        set_role(role_conn, "pgrst.db_max_rows", "4")
        role_conn.execute(RELOAD_CONFIG)
        assert eventually(lambda: row_count(gw), 4) == 4
