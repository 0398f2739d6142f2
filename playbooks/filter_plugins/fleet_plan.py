"""Filters that bridge Ansible to fleet's plan (``fleet.desired.plan``): the roles never re-derive it in YAML.

    fleet_plan: "{{ fleet_plans_file | fleet_planned(inventory_hostname) }}"   # fleet deploy: the engine's plan
    fleet_plan: "{{ hostvars[inventory_hostname] | fleet_host_plan }}"         # plain ansible-playbook / AWX

``fleet_planned`` returns the host's entry of the plans file ``fleet deploy`` wrote for the batch
(the plans its engine computed, previewed and converged on): Ansible applies that plan and does not
compute it again. The file holds no secret (fingerprints only; the roles take the token and the
product key from the vault vars at run time). It is read once per process (``FLEET_PRELOAD_PLANS``
reads it in ansible-playbook's main process, before it forks its workers).

``fleet_host_plan`` (used when no plans file is given) reads the host's ``fleet_*`` vars, its
``practice_<id>``/``client_<id>`` groups, the vault-decrypted ``fleet_token``/``fleet_product_key``
(only their fingerprints reach the plan) and the workspace's fleet.yml: ``fleet_config_file`` if
set, else ``fleet.yml`` in ``fleet_workspace``, else in ``inventory_dir`` or one of its parents. A
plan that cannot be made fails that one host's task with fleet's message (and the fix); every other
host goes on.

The other filters turn what a task saw on the machine into changes (wanted + seen -> changes),
again by calling fleet.desired.plan. Found by ansible.cfg's ``filter_plugins`` (the repo root's and each
workspace's) and next to the playbooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

try:
    import fleet  # noqa: F401
except ImportError:  # a source checkout used as an Ansible project (AWX/AAP): import from ../../src
    _SRC = Path(__file__).resolve().parents[2] / "src"
    if (_SRC / "fleet").is_dir():
        sys.path.insert(0, str(_SRC))

from fleet.catalog import default_catalog
from fleet.config import FleetConfig, load_config
from fleet.desired import plan as fleet_plan_mod
from fleet.desired import plansfile
from fleet.desired import seen as seen_mod
from fleet.errors import FleetError, Location
from fleet.inventory.model import CLIENT_PREFIX, PRACTICE_PREFIX, Host, Practice
from fleet.secrets.store import SECRET_VARS

CONFIG_NAME = "fleet.yml"
_CONFIGS: dict[tuple[str, int], FleetConfig] = {}
_PLANS: dict[tuple[str, int, int], Mapping[str, Any]] = {}


def _plain(value: Any) -> Any:
    """Ansible's lazy/tagged containers and strings -> plain Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _config_path(hv: Mapping[str, Any], config_file: str | None) -> Path:
    explicit = config_file or hv.get("fleet_config_file")
    if explicit:
        return Path(str(explicit)).expanduser()
    if hv.get("fleet_workspace"):
        return Path(str(hv["fleet_workspace"])).expanduser() / CONFIG_NAME
    inv_dir = hv.get("inventory_dir")
    if inv_dir:
        start = Path(str(inv_dir)).resolve()
        for d in (start, *list(start.parents)[:3]):
            if (d / CONFIG_NAME).is_file():
                return d / CONFIG_NAME
    raise FleetError(f"no {CONFIG_NAME} for this host (looked in {inv_dir or 'no inventory_dir'} and its parents)",
                     hint="set fleet_config_file (path to fleet.yml) or fleet_workspace, or run from a workspace")


def _config(path: Path) -> FleetConfig:
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError:
        raise FleetError(f"{CONFIG_NAME} not found", where=Location(str(path))) from None
    if key not in _CONFIGS:
        _CONFIGS[key] = load_config(path)
    return _CONFIGS[key]


def _group_id(groups: list[str], prefix: str, host: str) -> str:
    found = [g[len(prefix):] for g in groups if g.startswith(prefix)]
    if len(found) != 1:
        what = "practice" if prefix == PRACTICE_PREFIX else "client"
        raise FleetError(f"{host} is in {len(found)} {prefix}<id> groups; fleet needs exactly one {what}",
                         hint="see docs/workspace-format.md: client_<id> -> practice_<id> -> hosts")
    return found[0]


def fleet_host_plan(hostvars: Mapping[str, Any], config_file: str | None = None) -> dict[str, Any]:
    """The host's plan (``fleet.desired.plan.HostPlan`` as a dict), computed from its variables."""
    plan = host_plan_or_error(hostvars, config_file)
    if plan["error"]:
        from ansible.errors import AnsibleFilterError

        raise AnsibleFilterError(f"fleet cannot plan {plan['host']}: {plan['error']}")
    return plan


def host_plan_or_error(hostvars: Mapping[str, Any], config_file: str | None = None) -> dict[str, Any]:
    """The plan, or a plan with ``error`` set (never an exception)."""
    name = str(hostvars.get("inventory_hostname", "?"))
    try:
        groups = [str(g) for g in hostvars.get("group_names", [])]
        practice_id = _group_id(groups, PRACTICE_PREFIX, name)
        client_id = _group_id(groups, CLIENT_PREFIX, name)
        fleet_vars = {k: _plain(hostvars[k]) for k in hostvars if str(k).startswith("fleet_")}
        secrets = {k: str(hostvars[k]) for k in SECRET_VARS if k in hostvars and hostvars[k] not in (None, "")}
        where = Location(str(hostvars.get("inventory_file") or hostvars.get("inventory_dir") or "inventory"))
        host = Host(name, practice_id, client_id, fleet_vars, where)
        practice = Practice(practice_id, client_id, fleet_vars, (host,), where)
        cfg = _config(_config_path(hostvars, config_file))
        plan = fleet_plan_mod.plan_host(host, practice, secrets, default_catalog(), cfg)
        return plan.to_dict()
    except FleetError as exc:
        dummy = Host(name, "", "", {}, Location("inventory"))
        return fleet_plan_mod.error_plan(dummy, None, exc).to_dict()


def _plans(path: str) -> Mapping[str, Any]:
    """The ``hosts`` of a plans file, parsed once per process (and again only if the file changed)."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    key = (os.path.abspath(path), st.st_mtime_ns if st else 0, st.st_size if st else 0)
    if key not in _PLANS:
        hosts = plansfile.read_plans(path)  # FleetError naming the file
        _PLANS.clear()  # one run, one file
        _PLANS[key] = hosts
    return _PLANS[key]


def fleet_planned(plans_file: str, host: str) -> dict[str, Any]:
    """The plan fleet's engine computed for ``host`` (an entry of ``fleet_plans_file``), applied as is."""
    from ansible.errors import AnsibleFilterError

    try:
        plans = _plans(str(plans_file))
    except FleetError as exc:
        raise AnsibleFilterError(str(exc)) from None
    plan = plans.get(str(host))
    if not isinstance(plan, Mapping):
        raise AnsibleFilterError(f"{host} has no plan in fleet's plans file {plans_file} (the engine plans "
                                 "every host of the batch it runs: was the limit widened?)")
    return dict(plan)


def _results(registered: Any) -> list[Mapping[str, Any]]:
    if isinstance(registered, Mapping):
        return list(registered.get("results") or [])
    return list(registered or [])


def _asdict(obj: Any) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(obj)))


def fleet_windows_changes(ext: Mapping[str, Any], forcelist_stats: Any, ours_stats: Any = None,
                          extensions_stats: Any = None) -> dict[str, Any]:
    """Registry writes that are needed, from win_reg_stat loop results (item = a browser plan): the
    browsers' forcelist keys, and our own keys (managed-policy key of the browsers applied, extension key
    of the browsers removed), and the 3rdparty\\extensions keys of the browsers with earlier IDs to remove.
    The results are read into the seen model health's collector facts are read into
    (``fleet.desired.seen.RegistrySeen``); the token's value is only fingerprinted, never returned."""
    seen = seen_mod.registry_seen_from_results(_results(forcelist_stats), _results(ours_stats),
                                               _results(extensions_stats))
    ch = fleet_plan_mod.windows_changes(_plain(ext), seen)
    return {**_asdict(ch), "any": ch.any}


def _found_paths(find_result: Any) -> list[str]:
    if not isinstance(find_result, Mapping):
        return []
    return [str(f["path"]) for f in find_result.get("files") or []]


def fleet_linux_to_read(ext: Mapping[str, Any], find_result: Any) -> list[str]:
    """The policy files in our folders (ours and other software's) that set the forcelist: to be read."""
    return fleet_plan_mod.policy_files_to_read(_plain(ext), _found_paths(find_result))


def fleet_linux_changes(ext: Mapping[str, Any], find_result: Any, slurped: Any, mode: str = "0644") -> dict[str, Any]:
    """What to do about our policy files, from find's result and the slurp results of the files:
    ``write`` (paths that are missing or differ), ``dirs``, ``delete``, ``shadowed``, ``warnings``,
    ``any``. The files are read into the seen model health's collector facts are read into
    (``fleet.desired.seen.PolicyFilesSeen``: values as fingerprints); nothing returned holds a secret."""
    seen = seen_mod.policy_files_from_results(_plain(find_result), _results(slurped))
    ch = fleet_plan_mod.linux_changes(_plain(ext), seen, str(mode))
    doc = _asdict(ch)
    for f in doc["files"]:
        f.pop("seen", None)  # fingerprints only, but nothing the next tasks need
    return {**doc, **fleet_plan_mod.linux_work(ch)}


def fleet_linux_file(changes: Mapping[str, Any], ext: Mapping[str, Any], token: str, path: str) -> str:
    """The content of our policy file at ``path``, the token filled in. Only in no_log tasks."""
    ch = fleet_plan_mod.linux_changes_from_dict(_plain(changes))
    f = next(f for f in ch.files if f.path == str(path))
    return fleet_plan_mod.render_linux_file(f, _plain(ext), str(token or ""))


def fleet_synchronizer_changes(plan: Mapping[str, Any], seen: Any = None, marker: Any = None,
                               installed: Any = None) -> dict[str, Any]:
    """Install/upgrade/start/remove decisions. Linux: ``seen`` is the result of ``fleet-synchronizer status``
    (JSON on stdout). Windows: ``seen`` is win_service_info's result, ``marker`` win_reg_stat's of
    fleet's marker key and ``installed`` the role's win_powershell read of the registered products."""
    plan = _plain(plan)
    if plan.get("platform") == "windows":
        state = fleet_plan_mod.windows_seen(_plain(seen or {}), _plain(marker or {}), _plain(installed or {}))
    else:
        status = None
        if isinstance(seen, Mapping) and seen.get("rc") == 0 and seen.get("stdout"):
            try:
                status = json.loads(str(seen["stdout"]))
            except ValueError:
                status = None
        state = fleet_plan_mod.linux_seen(status)
    ch = fleet_plan_mod.synchronizer_changes(plan, state)
    return {**_asdict(ch), "steps": ch.steps}


def fleet_synchronizer_verified(plan: Mapping[str, Any], seen: Any = None, installed: Any = None) -> dict[str, Any]:
    """Windows, after an install: the read-back (win_service_info + the installed-products read)
    judged against the plan; fleet's marker is written only when ``ok``."""
    state = fleet_plan_mod.windows_seen(_plain(seen or {}), {}, _plain(installed or {}))
    return _asdict(fleet_plan_mod.synchronizer_verified(_plain(plan), state))


def fleet_msi_arguments(plan: Mapping[str, Any], product_key: str) -> str:
    """msiexec arguments with the product key. Use only inside a no_log task."""
    return fleet_plan_mod.msi_arguments(_plain(plan), str(product_key or ""))


class FilterModule:
    """fleet's plan filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "fleet_host_plan": fleet_host_plan,
            "fleet_planned": fleet_planned,
            "fleet_windows_changes": fleet_windows_changes,
            "fleet_linux_to_read": fleet_linux_to_read,
            "fleet_linux_changes": fleet_linux_changes,
            "fleet_linux_file": fleet_linux_file,
            "fleet_synchronizer_changes": fleet_synchronizer_changes,
            "fleet_synchronizer_verified": fleet_synchronizer_verified,
            "fleet_msi_arguments": fleet_msi_arguments,
        }


if os.environ.get("FLEET_PRELOAD_CONFIG"):  # fleet deploy: parse fleet.yml once, before Ansible forks workers
    try:
        _config(Path(os.environ["FLEET_PRELOAD_CONFIG"]))
        default_catalog()
    except FleetError:
        pass
if os.environ.get(plansfile.PRELOAD_ENV):  # fleet deploy: parse the batch's plans once, before the forks
    with contextlib.suppress(FleetError):  # the plan task reports it, per host
        _plans(os.environ[plansfile.PRELOAD_ENV])

# Ansible forks a worker per task and host from this process. Its heap (inventory, playbook, plugins:
# ~80 MB at 200 hosts) is shared copy-on-write, until a worker's garbage collector walks it and
# writes to every object's header: each worker then holds its own copy of much of it. Frozen
# objects are left out of collections, so their pages stay shared (under fleet deploy only).
if os.environ.get("FLEET_PRELOAD_CONFIG") and os.environ.get("FLEET_GC_FREEZE", "1") != "0":
    import gc

    gc.freeze()
