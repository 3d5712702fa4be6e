"""Pure transformations: HTML/XML/bytes -> data. No I/O, no environment, no Prefect, no DuckDB."""
