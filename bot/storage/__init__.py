"""Persistence: SQLModel tables on an async SQLAlchemy engine (SQLite or PostgreSQL)."""
