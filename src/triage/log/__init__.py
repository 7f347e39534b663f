"""The append-only decision log (SQLite) and its code tables."""
