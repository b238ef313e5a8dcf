"""HTTP specs: what the gateway must answer, ported from PostgREST's own test suite."""
