"""The customer bounded context."""
