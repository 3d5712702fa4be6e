"""Crawling: polite, guarded HTTP fetching and discovery of article URLs. No Prefect, no DuckDB."""
