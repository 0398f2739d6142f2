"""Shared test helpers: build real workspaces (fleet.yml + Ansible YAML inventory files) from dicts."""

from __future__ import annotations

import copy
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.example import example_config
from fleet.workspace import render_config, write_ansible_cfg

VENV_BIN = Path(sys.executable).parent
FLEET_BIN = VENV_BIN / "fleet"

# Environment variables that would make a test depend on the developer's shell.
FLEET_ENV_VARS = ("FLEET_WORKSPACE", "FLEET_VAULT_PASSWORD", "FLEET_VAULT_PASSWORD_FILE",
                  "ANSIBLE_VAULT_PASSWORD_FILE", "FLEET_STORE_URL", "FLEET_DEBUG")


# The tests stop fleet with SIGINT, SIGTERM and SIGHUP. A suite started by `nohup` or in the background
# by a non-interactive shell (`./.ci/run &`) inherits SIGHUP or SIGINT ignored, and so would every
# fleet it starts (fleet leaves an ignored signal ignored, as `nohup` expects). A handler that does
# nothing keeps the suite itself deaf to them, as it was started, while the processes it starts get
# the default back (exec resets a handled signal, not an ignored one).
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) is signal.SIG_IGN:
        signal.signal(_sig, lambda _signum, _frame: None)


def win(addr: str, role: str = "workstation", **extra: Any) -> dict[str, Any]:
    """A Windows host's vars (PSRP, the default a real workgroup practice uses)."""
    return {"ansible_host": addr, "fleet_role": role, "fleet_platform": "windows", "ansible_connection": "psrp",
            **extra}


def practice(pms: str, hosts: dict[str, Any], **pvars: Any) -> dict[str, Any]:
    """A practice group body: ``vars`` (fleet_pms + extra) and ``hosts``."""
    return {"vars": {"fleet_pms": pms, **pvars}, "hosts": hosts}


def client_doc(cid: str, practices: dict[str, dict[str, Any]], **cvars: Any) -> dict[str, Any]:
    """The Ansible YAML inventory document of one client file."""
    return {"all": {"children": {f"client_{cid}": {
        "vars": {"fleet_client_name": cid.title(), **cvars},
        "children": {f"practice_{pid}": body for pid, body in practices.items()},
    }}}}


def write_workspace(root: Path, clients: dict[str, dict[str, dict[str, Any]]] | None = None,
                    config: dict[str, Any] | None = None, client_vars: dict[str, dict[str, Any]] | None = None,
                    ) -> Path:
    """Write a workspace: fleet.yml (the example config, valid, unless ``config`` is given) and one
    inventory file per client (``clients``: client id -> practice id -> practice body)."""
    root.mkdir(parents=True, exist_ok=True)
    cfg = copy.deepcopy(config) if config is not None else example_config()
    if config is None:
        cfg.pop("example", None)  # the example's settings, but these hosts are the test's own, not the example's
    (root / "fleet.yml").write_text(render_config(cfg))
    write_ansible_cfg(root)
    inv = root / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    for cid, practices in (clients or {}).items():
        doc = client_doc(cid, practices, **(client_vars or {}).get(cid, {}))
        (inv / f"{cid}.yml").write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False))
    return root


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` containing ``needle``."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FLEET_* / vault settings inherited from the shell running the tests."""
    for var in FLEET_ENV_VARS:
        monkeypatch.delenv(var, raising=False)


class WorkspaceBuilder:
    """What the ``wsb`` fixture hands a test: the builders above, and a workspace root in tmp_path."""

    win = staticmethod(win)
    practice = staticmethod(practice)
    client_doc = staticmethod(client_doc)
    line_of = staticmethod(line_of)
    fleet_bin = FLEET_BIN
    venv_bin = VENV_BIN

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "ws"

    def write(self, clients: dict[str, dict[str, dict[str, Any]]] | None = None, **kw: Any) -> Path:
        return write_workspace(self.root, clients, **kw)


@pytest.fixture
def wsb(tmp_path: Path, clean_env: None) -> WorkspaceBuilder:
    return WorkspaceBuilder(tmp_path)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """The URL of a new, empty schema on the test PostgreSQL server (FLEET_TEST_PG_URL, which
    scripts/postgres-up prints), dropped afterwards; the test is skipped without a server."""
    import sqlalchemy as sa

    base = os.environ.get("FLEET_TEST_PG_URL")
    if not base:
        pytest.skip("FLEET_TEST_PG_URL is not set (scripts/postgres-up prints one)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
