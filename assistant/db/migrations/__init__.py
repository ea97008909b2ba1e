"""Alembic migrations of the app's database; `Database.upgrade()` runs them, no alembic.ini needed."""
