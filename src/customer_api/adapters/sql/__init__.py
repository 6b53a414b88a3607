"""SQLAlchemy adapters: engine, shared tables, unit of work and outbox writer."""
