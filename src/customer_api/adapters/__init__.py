"""Technology adapters shared by every bounded context."""
