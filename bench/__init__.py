"""Benchmarks: the gateway measured beside pgbench running the same SQL."""
