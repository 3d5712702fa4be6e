"""The DuckDB edge: schema, loading, the persistent near-duplicate index, user-facing views."""
