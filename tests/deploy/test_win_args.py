"""Every ansible.windows task's arguments, checked against what the installed collection documents.

ansible-lint does not validate arguments of PowerShell modules, and no Windows host runs here: a
misspelt option or an invalid choice in a win_* task would only show up on a practice's server.
So each task's options are checked against the module's DOCUMENTATION (the .py next to the .ps1,
or the .yml): unknown names, invalid literal choices and types, and missing required options fail.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ansible_collections.ansible.windows as ansible_windows
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = Path(next(iter(ansible_windows.__path__))) / "plugins" / "modules"
TASK_FILES = sorted([*(ROOT / "roles").glob("*/tasks/*.yml"), *(ROOT / "roles").glob("*/handlers/*.yml"),
                     *(ROOT / "playbooks").glob("*.yml")])
PREFIX = "ansible.windows."
FREE_FORM = {"win_command", "win_shell"}
TASK_KEYWORDS = {"name", "when", "loop", "loop_control", "register", "notify", "no_log", "changed_when",
                 "failed_when", "check_mode", "environment", "tags", "block", "rescue", "always", "become",
                 "become_user", "ignore_errors", "vars", "delegate_to", "until", "retries", "delay", "diff",
                 "listen", "args"}


@functools.cache
def documentation(module: str) -> dict[str, Any]:
    """The module's DOCUMENTATION as data (from its .py, else its .yml)."""
    py, yml = MODULES / f"{module}.py", MODULES / f"{module}.yml"
    if py.is_file():
        for node in ast.parse(py.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets):
                return yaml.safe_load(ast.literal_eval(node.value))
    if yml.is_file():
        return yaml.safe_load(yml.read_text())["DOCUMENTATION"]
    raise AssertionError(f"ansible.windows has no module {module!r} (looked in {MODULES})")


def tasks_in(items: Any) -> Iterator[dict[str, Any]]:
    for t in items or []:
        if not isinstance(t, dict):
            continue
        yield t
        for key in ("block", "rescue", "always"):
            yield from tasks_in(t.get(key))


def all_tasks(path: Path) -> Iterator[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    if path.parent.name in ("tasks", "handlers"):
        yield from tasks_in(data)
        return
    for play in data or []:
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            yield from tasks_in(play.get(key))


def win_tasks() -> list[tuple[str, str, Any]]:
    out = []
    for path in TASK_FILES:
        for task in all_tasks(path):
            for key, args in task.items():
                if isinstance(key, str) and key.startswith(PREFIX):
                    out.append((f"{path.relative_to(ROOT)}: {task.get('name', '?')}", key[len(PREFIX):], args))
    return out


def problems(module: str, args: Any) -> list[str]:
    """What is wrong with ``args`` for ``module``, per its documentation."""
    doc = documentation(module)
    options: dict[str, Any] = doc.get("options") or {}
    if isinstance(args, str):
        return [] if module in FREE_FORM else [f"{module} takes options, not a free-form string"]
    names = {}
    for name, spec in options.items():
        names[name] = name
        for alias in spec.get("aliases") or []:
            names[alias] = name
    out = []
    given = set()
    for key, value in (args or {}).items():
        if key not in names:
            out.append(f"{module}: unknown option {key!r} (documented: {', '.join(sorted(options))})")
            continue
        spec = options[names[key]]
        given.add(names[key])
        if isinstance(value, str) and "{{" in value:
            continue  # templated: its possible values are checked where they come from (the plan)
        kind = spec.get("type", "str")
        if kind == "bool" and not isinstance(value, bool):
            out.append(f"{module}: {key} must be a boolean, not {value!r}")
        if kind == "list" and not isinstance(value, list):
            out.append(f"{module}: {key} must be a list, not {value!r}")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            out.append(f"{module}: {key} must be an integer, not {value!r}")
        choices = spec.get("choices")
        if choices and value not in choices:
            out.append(f"{module}: {key}={value!r} is not one of {choices}")
    for name, spec in options.items():
        if spec.get("required") and name not in given:
            out.append(f"{module}: required option {name!r} is missing")
    return out


WIN_TASKS = win_tasks()


def test_the_roles_use_windows_modules_at_all() -> None:
    used = {m for _, m, _ in WIN_TASKS}
    assert {"win_regedit", "win_reg_stat", "win_get_url", "win_package", "win_service", "win_service_info",
            "win_command", "win_file"} <= used, used


@pytest.mark.parametrize(("where", "module", "args"), WIN_TASKS, ids=[w for w, _, _ in WIN_TASKS])
def test_win_task_arguments_match_the_collection_docs(where: str, module: str, args: Any) -> None:
    assert problems(module, args) == [], where


def test_every_task_key_is_a_keyword_or_the_module() -> None:
    for path in TASK_FILES:
        for task in all_tasks(path):
            if "block" in task:
                continue
            modules = [k for k in task if k not in TASK_KEYWORDS]
            assert len(modules) == 1, f"{path.name}: {task.get('name')}: {modules}"
            assert modules[0].startswith(("ansible.builtin.", "ansible.windows.")), modules[0]


def test_the_checker_catches_what_it_is_for() -> None:
    """The check could fail: a misspelt option, a bad choice, a wrong type, a missing required option."""
    assert any("unknown option 'checksum_algo'" in p
               for p in problems("win_get_url", {"url": "u", "dest": "d", "checksum_algo": "sha256"}))
    assert any("is not one of" in p for p in problems("win_get_url", {"url": "u", "dest": "d",
                                                                     "checksum_algorithm": "sha3"}))
    assert any("is not one of" in p for p in problems("win_service", {"name": "s", "start_mode": "automatic"}))
    assert any("boolean" in p for p in problems("win_regedit", {"path": "p", "delete_key": "yes"}))
    assert any("required option 'path'" in p for p in problems("win_regedit", {"name": "x"}))
    assert problems("win_regedit", {"key": "HKLM:\\x", "entry": "n", "datatype": "dword"}) == []  # aliases


def test_values_the_plan_feeds_into_templated_options_are_valid_choices() -> None:
    """Templated options get their values from fleet.desired.plan: those values must be documented choices."""
    from helpers_deploy import config, host_and_practice

    from fleet.catalog import default_catalog
    from fleet.desired.plan import plan_host

    reg_types = set(documentation("win_regedit")["options"]["type"]["choices"])
    host, practice = host_and_practice("cloud9")
    plan = plan_host(host, practice, {"fleet_token": "T-123456"}, default_catalog(), config())
    produced = {v.type for b in plan.extension.browsers for v in b.managed_values}
    assert produced == {"string", "dword"} and produced <= reg_types
    pkg_state = documentation("win_package")["options"]["state"]["choices"]
    assert {"present", "absent"} <= set(pkg_state)
    assert "sha256" in documentation("win_get_url")["options"]["checksum_algorithm"]["choices"]
