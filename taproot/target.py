"""Which PostgreSQL Taproot talks to: DATABASE_URL when set, else the embedded cluster."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import psycopg

from taproot import system_deps
from taproot.cluster import Cluster
from taproot.database import Database
from taproot.settings import Settings


@dataclass(frozen=True)
class Target:
    """The admin view of the app database, plus the embedded cluster when there is one."""

    db: Database
    cluster: Cluster | None

    def app_url(self, user: str, password: str) -> str:
        """A TCP URL for a non-superuser login role (authenticator, analyst)."""
        parts = psycopg.conninfo.conninfo_to_dict(self.db.url)
        if self.cluster is not None:
            host, port = "127.0.0.1", str(self.cluster.port)
        else:
            host, port = str(parts.get("host") or "127.0.0.1"), str(parts.get("port") or 5432)
        return f"postgresql://{quote(user)}:{quote(password)}@{host}:{port}/{quote(self.db.name)}"


def resolve(settings: Settings) -> Target:
    if settings.database_url:
        system_deps.ensure()
        return Target(db=Database(settings.database_url), cluster=None)
    cluster = Cluster(tools=system_deps.ensure(), data_dir=settings.pg_data, port=settings.pg_port)
    return Target(db=Database(cluster.admin_url(settings.db_name)), cluster=cluster)
