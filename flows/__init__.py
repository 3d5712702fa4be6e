"""Prefect flows and their thin tasks, the settings (config.py) and the `copydesk` command line.

The HTTP edge (discovery, fetching) is crawl/, pure parsing extractors/, the database storage/; flows/ ties them
into runs and is imported by none of them.
"""
