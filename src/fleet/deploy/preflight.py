"""Before any deploy: every module the roles and the playbook name resolves on this controller.

Ansible parses a whole play before running it, so one unresolvable name (a handler naming
``ansible.windows.win_command``) fails every host, Linux ones included, with a parser error. This
check reads the FQCN module names from the shipped roles and playbook, asks Ansible's own plugin
loader to resolve them **in a child with exactly the environment ansible-playbook will get**
(``ANSIBLE_CONFIG``, ``ANSIBLE_COLLECTIONS_PATH``), and stops with the missing names and the
command that installs them.

fleet ships the one collection it needs beyond ansible-core (``ansible.windows``, under
``fleet/_data/collections``); see README "Dependencies and why".
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fleet.errors import FleetError
from fleet.resources import data_dir

FQCN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
REQUIREMENTS = "collections/requirements.yml"
INSTALL_HINT = ("reinstall fleet, which ships ansible.windows (pip install --force-reinstall fleet), or install the "
                "collection where Ansible looks for it: ansible-galaxy collection install 'ansible.windows>=2.5,<4' "
                "(or pip install 'ansible>=12,<13')")

_RESOLVE = """
import json, sys
from ansible import constants as C
from ansible.plugins.loader import init_plugin_loader, module_loader
init_plugin_loader()
names = json.loads(sys.stdin.read())
found = {}
for n in names:
    # Windows modules run as PowerShell: what must resolve is the .ps1, not the .py documentation stub.
    kind = ".ps1" if n.rsplit(".", 1)[-1].startswith("win_") else ""
    ctx = module_loader.find_plugin_with_context(n, mod_type=kind)
    found[n] = ctx.plugin_resolved_path if ctx.resolved else None
print(json.dumps({"found": found, "paths": [str(p) for p in C.COLLECTIONS_PATHS]}))
"""


class AnsibleContentMissing(FleetError):
    """A module the roles use does not resolve: nothing was run."""


@dataclass(frozen=True)
class Resolution:
    found: Mapping[str, str | None]  # module -> file it resolves to (None: does not resolve)
    collections_paths: tuple[str, ...]

    @property
    def missing(self) -> list[str]:
        return sorted(n for n, p in self.found.items() if not p)


def _walk(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and FQCN.match(k):
                yield k
            yield from _walk(v)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def used_modules(roots: Iterable[Path] | None = None) -> list[str]:
    """Every FQCN module named in the roles' tasks and handlers and in the playbooks."""
    if roots is None:
        roots = [data_dir("roles"), data_dir("playbooks")]
    names: set[str] = set()
    for root in roots:
        for f in sorted(root.rglob("*.yml")):
            if not ({"tasks", "handlers"} & set(f.relative_to(root).parts[:-1]) or f.parent == root):
                continue
            try:
                names.update(_walk(yaml.safe_load(f.read_text())))
            except yaml.YAMLError:
                continue  # ansible-playbook reports a broken file better than we could
    return sorted(names)


def resolve(modules: Iterable[str], env: Mapping[str, str]) -> Resolution:
    """Resolve module names with Ansible's plugin loader in a child that has ``env``."""
    proc = subprocess.run([sys.executable, "-c", _RESOLVE], input=json.dumps(sorted(modules)), env=dict(env),
                          capture_output=True, text=True, timeout=120, cwd="/")
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise AnsibleContentMissing(f"cannot load Ansible on this controller: {tail[0]}",
                                    hint="install fleet with its dependencies (pip install fleet)")
    data = json.loads(proc.stdout)
    return Resolution(data["found"], tuple(data["paths"]))


def check_ansible_content(env: Mapping[str, str], cache: Path | None = None) -> Resolution:
    """Raise ``AnsibleContentMissing`` naming what does not resolve and how to install it.

    ``cache`` (a workspace's ``state/preflight.json``) keeps a full success keyed by the Ansible
    environment, the config file's content and the module list; it is trusted only while every
    file it resolved to still exists (a removed collection is seen at once). A failure is never cached."""
    modules = used_modules()
    key = _cache_key(env, modules)
    res = _cached_result(cache, key) if cache is not None else None
    if res is None:
        res = resolve(modules, env)
    missing = res.missing
    if missing:
        collections = sorted({".".join(n.split(".")[:2]) for n in missing})
        raise AnsibleContentMissing(
            f"fleet's roles use Ansible content this controller does not have: {', '.join(missing)} "
            f"(collection {', '.join(collections)}; Ansible looked in {':'.join(res.collections_paths)}); "
            "nothing was run",
            hint=INSTALL_HINT,
        )
    if cache is not None:
        _store_result(cache, key, res)
    return res


def _cache_key(env: Mapping[str, str], modules: Iterable[str]) -> str:
    import hashlib

    ansible_vars = {k: v for k, v in env.items() if k.startswith("ANSIBLE_")}
    config = ""
    if env.get("ANSIBLE_CONFIG"):
        try:
            config = Path(env["ANSIBLE_CONFIG"]).read_text()
        except OSError:
            config = "unreadable"
    doc = json.dumps([sys.executable, sorted(ansible_vars.items()), config, sorted(modules)])
    return hashlib.sha256(doc.encode()).hexdigest()


def _cached_result(path: Path, key: str) -> Resolution | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    found = data.get("found") or {}
    if not found or not all(isinstance(p, str) and Path(p).exists() for p in found.values()):
        return None
    return Resolution(found, tuple(data.get("paths") or ()))


def _store_result(path: Path, key: str, res: Resolution) -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "found": dict(res.found), "paths": list(res.collections_paths)}))
        os.replace(tmp, path)


def collections_dir() -> Path:
    """The collections fleet ships (a directory holding ``ansible_collections/``)."""
    return data_dir("collections")
