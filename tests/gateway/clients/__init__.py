"""The `postgrest` Python client (sync and async) driven against the gateway."""
