"""The Flask sidecar for AI integration: providers, prompt rendering, streaming, metering."""
