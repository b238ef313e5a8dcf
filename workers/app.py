"""The Procrastinate App of Taproot's workers (also what `procrastinate --app` loads).

One psycopg pool per process, connected as authenticator and switched to the worker role
with procrastinate first on search_path; the tasks use the same pool for their own SQL.
"""

from __future__ import annotations

from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector
from psycopg_pool import AsyncConnectionPool

from workers.settings import CONNECTION_OPTIONS, settings


def _connector() -> PsycopgConnector:
    config = settings()
    return PsycopgConnector(
        conninfo=config.db_uri,
        kwargs={"options": CONNECTION_OPTIONS, "application_name": "taproot-worker"},
        min_size=2,
        max_size=config.pool_size,
    )


app = App(connector=_connector(), import_paths=["workers.tasks", "workers.schedules"])


def pool() -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
    """The open App's pool (tasks run their own statements on it)."""
    connector = app.connector
    assert isinstance(connector, PsycopgConnector)
    return connector.pool
