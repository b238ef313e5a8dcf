"""Specs of the configuration PostgREST users depend on (issue 14)."""
