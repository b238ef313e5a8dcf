"""Fixtures of the configuration specs: schema cfg and login role gw_cfg_auth (_cfg.py)."""

from tests.gateway.config._cfg import cfg_db, role_conn

__all__ = ["cfg_db", "role_conn"]
