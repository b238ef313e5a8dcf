"""Procrastinate workers: the AI request lifecycle, schedules and crash recovery.

`app` (Procrastinate's own App) lives in workers.app; tasks in workers.tasks, periodic
tasks in workers.schedules; `python -m workers` (or `taproot worker`) runs a worker.
"""
