"""SQLAlchemy models, repositories and migrations. Repositories never commit."""
