"""The sidecar's HTTP endpoints, one blueprint per area; views stay a few lines."""
