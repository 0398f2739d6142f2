"""README's "Dependencies and why" says only what is true: each package it names is one fleet declares
(or ships), each runtime dependency is named and used (imported by fleet, or by the Ansible
connection plugins it is there for), and the test-only paragraph names the whole `[test]` extra.
Was wrong once: the table said paramiko carried the health sweep, which uses OpenSSH."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import fleet

REPO = Path(fleet.__file__).resolve().parents[2]
SRC = REPO / "src" / "fleet"
# Declared for Ansible, not imported by fleet: the connection plugins that import them.
FOR_ANSIBLE = {"pywinrm": ("ansible/plugins/connection/winrm.py", "import winrm"),
               "pypsrp": ("ansible/plugins/connection/psrp.py", "from pypsrp")}
IMPORT_NAME = {"pyyaml": "yaml", "ruamel-yaml": "ruamel", "ansible-core": "ansible", "ansible-runner": "ansible_runner"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.split(r"[ \[<>=!~;]", req, maxsplit=1)[0])


@pytest.fixture(scope="module")
def project() -> dict:
    if not (REPO / "pyproject.toml").is_file() or not (REPO / "README.md").is_file():
        pytest.skip("not running from the source tree")
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _section(readme: str) -> str:
    return readme.split("## Dependencies and why", 1)[1].split("\n## ", 1)[0]


def _table_names(section: str) -> dict[str, str]:
    """Package names of the table's first column (``a, b``; ``x (+ y)``), each with its row."""
    names: dict[str, str] = {}
    for row in re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", section, re.M):
        if row[0].strip() in ("package", "---"):
            continue
        first = row[0].replace("(+", ",").replace(")", "")
        for part in first.split(","):
            word = part.strip().split(" ")[0]
            if word:
                names[_norm(word)] = row[0]
    return names


def _src_imports() -> set[str]:
    mods: set[str] = set()
    for f in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                mods.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods.add(node.module.split(".")[0])
    return mods


def test_the_table_names_exactly_the_declared_runtime_dependencies(project: dict) -> None:
    table = _table_names(_section((REPO / "README.md").read_text()))
    runtime = {_req_name(r) for r in project["dependencies"]}
    extras = {_req_name(r) for r in project["optional-dependencies"].get("postgres", [])}
    assert runtime - set(table) == set(), "declared but not in the README table"
    shipped = {n for n, row in table.items() if "shipped inside fleet" in row}
    assert shipped == {"ansible-windows"}
    assert (REPO / "collections/ansible_collections/ansible/windows/plugins/modules/win_regedit.ps1").is_file()
    assert set(table) - runtime - extras - shipped == set(), "in the README table but not a dependency of fleet"


def test_every_runtime_dependency_is_used(project: dict) -> None:
    import ansible

    imports = _src_imports()
    ansible_dir = Path(ansible.__file__).parent.parent
    unused = []
    for name in sorted(_req_name(r) for r in project["dependencies"]):
        if name in FOR_ANSIBLE:
            plugin, needle = FOR_ANSIBLE[name]
            if needle not in (ansible_dir / plugin).read_text():
                unused.append(name)
        elif IMPORT_NAME.get(name, name.replace("-", "_")) not in imports:
            unused.append(name)
    assert unused == [], "declared dependencies nothing imports"


def test_the_test_only_paragraph_names_the_whole_test_extra(project: dict) -> None:
    section = _section((REPO / "README.md").read_text())
    para = section.split("Test-only", 1)[1].lower()
    missing = [n for n in (_req_name(r) for r in project["optional-dependencies"]["test"]) if n not in para]
    assert missing == []
