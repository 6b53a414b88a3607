"""App-wide REST concerns: problem details, request ids, cursors, conditional requests, idempotency,
auth guards and health endpoints."""
