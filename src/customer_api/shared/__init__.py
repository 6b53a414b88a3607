"""What every bounded context shares: domain errors, events, the message bus and the unit of work."""
