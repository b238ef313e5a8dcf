"""HTTP spec and client suites for the gateway: what 'behaves like PostgREST v12' means."""
