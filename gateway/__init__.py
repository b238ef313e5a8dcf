"""Taproot's gateway: PostgreSQL exposed over HTTP in PostgREST's dialect."""
