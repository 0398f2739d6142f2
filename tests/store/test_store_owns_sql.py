"""Only the store speaks SQL: no module outside ``fleet/store/`` imports SQLAlchemy or the store's
table definitions. Health, report, alerts and the CLI ask the store's functions for what they need."""

from __future__ import annotations

import ast
from pathlib import Path

import fleet

SRC = Path(fleet.__file__).parent


def test_no_module_outside_the_store_imports_sqlalchemy_or_the_tables() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] in ("sqlalchemy", "alembic") or name.startswith("fleet.store.schema"):
                    offenders.append(f"{rel}:{node.lineno} imports {name}")
    assert offenders == []
