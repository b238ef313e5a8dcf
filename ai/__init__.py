"""The provider package shared by the sidecar and the workers."""
