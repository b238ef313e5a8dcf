"""Procrastinate workers: AI requests and schedules run from jobs queued in PostgreSQL."""
