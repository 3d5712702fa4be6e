"""Prefect flows, the HTTP edge and the `copydesk` command line."""
