"""crawl/ imports extractors/ and the HTTP stack, never Prefect, DuckDB, flows/ or storage/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CRAWL = Path(__file__).parents[2] / "crawl"
# Beside the standard library: our pure extractors, and the HTTP stack the fetcher is built on.
ALLOWED = {"crawl", "extractors", "httpx", "httpcore", "idna"}
FORBIDDEN = ("prefect", "duckdb", "flows", "storage")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_crawl_module_imports_only_the_standard_library_extractors_and_httpx() -> None:
    modules = sorted(CRAWL.glob("*.py"))
    assert len(modules) >= 10
    strangers = {m.name: imported_roots(m) - ALLOWED - set(sys.stdlib_module_names) for m in modules}
    assert {name: roots for name, roots in strangers.items() if roots} == {}


def test_importing_all_of_crawl_loads_no_prefect_or_duckdb() -> None:
    modules = ", ".join(f"crawl.{m.stem}" for m in sorted(CRAWL.glob("*.py")) if m.stem != "__init__")
    code = f"import sys, {modules}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
