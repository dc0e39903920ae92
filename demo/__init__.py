"""Local stand-ins for external services, for demos, integration tests and benchmarks."""
