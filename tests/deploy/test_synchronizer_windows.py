"""The Synchronizer on Windows: the plan's decision for every state a server can be in, and the
role's Windows tasks read as data (no Windows runs here; docs/windows-verification.md has the
steps that confirm each on a real server).

What was wrong before: win_package decides "installed" from the MSI's ProductCode, so a new key or
a same-ProductCode upgrade did nothing and fleet then recorded the new version and key anyway;
removal went by the configured MSI's ProductCode and missed any other version; the download
folder inherited C:\\ProgramData's rights; 1618 failed at once; "auto" replaced a delayed start;
a key with a double quote was refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Parser

from fleet.desired.plan import (
    InstalledProduct,
    SynchronizerSeen,
    msi_arguments,
    same_version,
    synchronizer_changes,
    synchronizer_verified,
    windows_seen,
)
from fleet.secrets.store import fingerprint

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles" / "synchronizer" / "tasks"
FILES = ROOT / "roles" / "synchronizer" / "files"
FP = fingerprint("KEY-1")
CODE = "{6F3A0C2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B}"
OTHER = "{11111111-2222-3333-4444-555555555555}"


def plan(**kw: Any) -> dict[str, Any]:
    return {"action": "install", "platform": "windows", "version": "4.2.0", "service_name": "Synchronizer",
            "product_id": "", "product_key_fingerprint": FP, **kw}


def seen(version: str = "4.2.0.0", key: str = FP, running: bool = True, mode: str = "auto",
         products: tuple[InstalledProduct, ...] = (InstalledProduct(CODE, "Synchronizer", "4.2.0"),),
         service: bool = True) -> SynchronizerSeen:
    return SynchronizerSeen(installed=service, version=version if service else "", key_fingerprint=key,
                            running=running and service, enabled=service and mode in ("auto", "delayed"),
                            products=products, start_mode=mode if service else "")


# (case, plan overrides, seen, steps, uninstall, start_mode, why fragment)
STATES = [
    ("nothing installed", {}, seen(service=False, products=()), ["install", "verify", "service"], (), "auto",
     "not installed"),
    ("up to date (file version 4.2.0.0 is 4.2.0)", {}, seen(), [], (), "auto", "up to date"),
    ("up to date, vendor's delayed start kept", {}, seen(mode="delayed"), [], (), "delayed", "up to date"),
    ("stopped", {}, seen(running=False), ["service"], (), "auto", "not running"),
    ("stopped, delayed start kept", {}, seen(running=False, mode="delayed"), ["service"], (), "delayed",
     "not running"),
    ("manual start", {}, seen(mode="manual"), ["service"], (), "auto", "not started at boot"),
    ("disabled", {}, seen(mode="disabled", running=False), ["service"], (), "auto", "not running"),
    ("same ProductCode upgrade: old one uninstalled first", {}, seen(version="4.1.0.0"),
     ["install", "verify", "service"], (CODE,), "auto", "version 4.1.0.0 installed, 4.2.0 wanted"),
    ("configured ProductCode is the installed one: reinstall", {"product_id": CODE}, seen(version="4.1.0.0"),
     ["install", "verify", "service"], (CODE,), "auto", "4.2.0 wanted"),
    ("major upgrade (another ProductCode): the MSI replaces it", {"product_id": OTHER}, seen(version="4.1.0.0"),
     ["install", "verify", "service"], (), "auto", "4.2.0 wanted"),
    ("downgrade", {}, seen(version="5.0.0.0"), ["install", "verify", "service"], (CODE,), "auto", "5.0.0.0"),
    ("key rotated: reinstall with the new key", {}, seen(key="0" * 16), ["install", "verify", "service"], (CODE,),
     "auto", "the product key changed"),
    ("installed before fleet (no record of the key)", {}, seen(key=""), ["install", "verify", "service"], (CODE,),
     "auto", "without fleet's record"),
    ("registered but the service is gone: repair", {}, seen(service=False), ["install", "verify", "service"],
     (CODE,), "auto", "service is missing"),
    ("two registrations: start clean", {"product_id": OTHER},
     seen(version="4.1.0.0", products=(InstalledProduct(CODE), InstalledProduct(OTHER))),
     ["install", "verify", "service"], (CODE, OTHER), "auto", "4.2.0 wanted"),
    ("upgrade with a delayed start: kept after the reinstall", {}, seen(version="4.1.0.0", mode="delayed"),
     ["install", "verify", "service"], (CODE,), "delayed", "4.2.0 wanted"),
]


@pytest.mark.parametrize(("over", "state", "steps", "uninstall", "mode", "why"), [s[1:] for s in STATES],
                         ids=[s[0] for s in STATES])
def test_every_install_state(over: dict, state: SynchronizerSeen, steps: list[str], uninstall: tuple,
                             mode: str, why: str) -> None:
    ch = synchronizer_changes(plan(**over), state)
    assert ch.steps == steps
    assert ch.uninstall == uninstall
    assert ch.start_mode == mode
    assert why in ch.why
    assert not ch.remove and not ch.blocked


REMOVALS = [
    ("installed: by its own code, any version", seen(version="9.9.0.0"), ["remove"], (CODE,), ""),
    ("auto-updated to another ProductCode", seen(products=(InstalledProduct(OTHER, "Synchronizer", "5.1"),)),
     ["remove"], (OTHER,), ""),
    ("a leftover registration without its service", seen(service=False), ["remove"], (CODE,), ""),
    ("nothing there", seen(service=False, products=(), key=""), [], (), ""),
    ("only fleet's record is left: cleaned up", seen(service=False, products=()), ["remove"], (), ""),
    ("uninstalled, the service goes at the restart: wait", SynchronizerSeen(
        installed=True, version="4.2.0.0", running=False, start_mode="auto", key_fingerprint=FP,
        pending_removal_boot="1800000000", boot="1800000002"), [], (), ""),
    ("uninstalled, restarted, the service still there: refused", SynchronizerSeen(
        installed=True, version="4.2.0.0", running=False, start_mode="auto", key_fingerprint=FP,
        pending_removal_boot="1800000000", boot="1800090000"), ["remove"], (), "no installed product matches it"),
    ("a service fleet cannot match to a product: refused, not 'done'", seen(products=()), ["remove"], (),
     "no installed product matches it"),
]


@pytest.mark.parametrize(("state", "steps", "uninstall", "blocked"), [r[1:] for r in REMOVALS],
                         ids=[r[0] for r in REMOVALS])
def test_every_removal_state(state: SynchronizerSeen, steps: list[str], uninstall: tuple, blocked: str) -> None:
    ch = synchronizer_changes(plan(action="remove"), state)
    assert ch.steps == steps and ch.uninstall == uninstall
    assert blocked in ch.blocked if blocked else ch.blocked == ""


def test_skip_and_none_do_nothing() -> None:
    for action in ("skip", "none"):
        ch = synchronizer_changes(plan(action=action, reason="schedule with the vendor's engineer"), seen())
        assert ch.steps == [] and not ch.uninstall


def test_versions_compare_as_numbers() -> None:
    assert same_version("4.2.0.0", "4.2.0") and same_version("4.2", "4.2.0")
    assert not same_version("4.2.0.1", "4.2.0") and not same_version("", "4.2.0")
    assert not same_version("4.10.0", "4.1.0")


def test_what_is_seen_comes_from_the_host_not_from_fleets_record() -> None:
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "started", "start_mode": "delayed"}]}
    marker = {"exists": True, "properties": {"Version": {"value": "4.2.0"}, "KeyFingerprint": {"value": FP}}}
    installed = {"output": [{"products": [{"product_code": CODE.lower(), "name": "Synchronizer", "version": "4.1.0"}],
                             "binary_version": "4.1.0.7"}]}
    s = windows_seen(svc, marker, installed)
    assert s.version == "4.1.0.7" and s.marker_version == "4.2.0"  # the binary, not the marker
    assert s.products == (InstalledProduct(CODE, "Synchronizer", "4.1.0"),) and s.start_mode == "delayed"
    # no binary version: the registration's
    s = windows_seen(svc, marker, {"output": [{"products": [{"product_code": CODE, "version": "4.2.0"}]}]})
    assert s.version == "4.2.0"
    # nothing readable: unknown, so fleet installs rather than trusting its record
    assert synchronizer_changes(plan(), windows_seen(svc, marker, None)).steps[0] == "install"


def test_the_marker_is_written_only_after_a_verified_install() -> None:
    assert synchronizer_verified(plan(), seen()).ok
    assert synchronizer_verified(plan(), seen()).product_code == CODE
    bad = [seen(service=False), seen(version="4.1.0.0"),
           seen(products=(InstalledProduct(CODE), InstalledProduct(OTHER)))]
    for s in bad:
        v = synchronizer_verified(plan(), s)
        assert not v.ok and v.why
    assert synchronizer_verified(plan(), seen(mode="delayed")).start_mode == "delayed"


def test_keys_are_quoted_as_msiexec_expects() -> None:
    p = {"silent_args": "/qn", "product_key_property": "PRODUCTKEY"}
    assert msi_arguments(p, 'K"E""Y') == '/qn PRODUCTKEY="K""E""""Y"'


# -- the role's Windows tasks ---------------------------------------------------------------------


def tasks(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((TASKS / name).read_text())


def module(task: dict[str, Any]) -> str:
    return next(k for k in task if k.startswith(("ansible.windows.", "ansible.builtin.")))


def test_the_marker_is_written_after_the_read_back_and_its_assert() -> None:
    install = tasks("windows_install.yml")
    assert not any(module(t) == "ansible.windows.win_regedit" for t in install), "install must not record"
    verify = tasks("windows_verify.yml")
    mods = [module(t) for t in verify]
    assert mods.index("ansible.builtin.assert") < mods.index("ansible.windows.win_regedit")
    assert mods.index("ansible.windows.win_service_info") < mods.index("ansible.builtin.assert")
    names = [i["name"] for i in verify[mods.index("ansible.windows.win_regedit")]["loop"]]
    assert names == ["Version", "ProductCode", "KeyFingerprint"]


def test_installs_and_removals_go_by_installed_product_codes_and_retry_1618() -> None:
    for name in ("windows_install.yml", "windows_remove.yml"):
        for t in tasks(name):
            if module(t) != "ansible.windows.win_package":
                continue
            assert "1618" in t["until"] and t["retries"] and t["delay"]
            args = t["ansible.windows.win_package"]
            if args.get("state") == "absent":
                assert args["product_id"] == "{{ item }}" and t["loop"] == "{{ __synchronizer_changes.uninstall }}"
                assert "path" not in args
    remove = tasks("windows_remove.yml")
    mods = [module(t) for t in remove]
    # fleet's record and the installer go only after the service is seen gone
    assert mods.index("ansible.windows.win_service_info") < mods.index("ansible.windows.win_regedit")


def test_the_service_keeps_a_delayed_start_and_3010_is_not_a_failure() -> None:
    svc = tasks("windows_service.yml")[0]
    assert "start_mode" in svc["ansible.windows.win_service"]["start_mode"]
    assert svc["ansible.windows.win_service"]["start_mode"] != "auto"
    assert any("reboot_required" in c for c in svc["failed_when"])


def test_the_download_folder_is_made_safe_before_the_download() -> None:
    install = tasks("windows_install.yml")
    first = install[0]
    assert module(first) == "ansible.windows.win_powershell" and "secure_folder.ps1" in first[module(first)]["script"]
    assert not any(module(t) == "ansible.windows.win_file" for t in install)
    pkg = next(t for t in install if module(t) == "ansible.windows.win_package"
               and t["ansible.windows.win_package"].get("state") == "present")
    assert pkg["no_log"] is True and pkg["ansible.windows.win_package"]["checksum_algorithm"] == "sha256"


LANG = Language(tree_sitter_powershell.language())


@pytest.mark.parametrize("script", ["read_installed.ps1", "secure_folder.ps1"])
def test_the_role_scripts_parse(script: str) -> None:
    source = (FILES / script).read_text()
    tree = Parser(LANG).parse(source.encode())
    stack, bad = [tree.root_node], []
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            bad.append((n.start_point, n.text.decode()[:60]))
        stack.extend(n.children)
    assert bad == []
    assert source.isascii()


def test_the_folder_acl_is_administrators_only_and_not_inherited() -> None:
    source = (FILES / "secure_folder.ps1").read_text()
    assert "O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)" in source  # protected DACL: SYSTEM + Administrators
    assert "[System.IO.Directory]::CreateDirectory($Folder, $security)" in source  # safe from creation on
    assert "AreAccessRulesProtected" in source and "GetOwner" in source
    # the folder above too: whoever controls it can rename the download folder away
    assert "foreach ($folder in (Split-Path -Path $Path -Parent), $Path)" in source
    assert "SupportsShouldProcess" in source and "$PSCmdlet.ShouldProcess" in source


def test_the_read_finds_products_of_any_version() -> None:
    source = (FILES / "read_installed.ps1").read_text()
    assert "'RelatedProducts' @($UpgradeCode)" in source and "InvokeMember" in source
    assert "Registry64" in source and "Registry32" in source
    assert "-OperationTimeoutSec" in source and "$Ansible.Changed = $false" in source
    assert "FileVersionInfo" in source


# -- what the tasks read from module results, against the collection's RETURN docs ----------------

COMMON_RESULT_KEYS = {"changed", "failed", "skipped", "msg", "results", "rc"}


def _return_spec(module: str) -> dict[str, Any]:
    import ast

    import ansible_collections.ansible.windows as ansible_windows

    py = Path(next(iter(ansible_windows.__path__))) / "plugins" / "modules" / f"{module}.py"
    for node in ast.parse(py.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "RETURN" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    return {}


def _return_doc(module: str) -> set[str]:
    return set(_return_spec(module))


def test_results_are_read_only_by_documented_return_values() -> None:
    """A misspelt result key (``reboot_requried``) is silently undefined in Jinja with a default:
    every ``<registered>.<key>`` of a win_* task's result must be in the module's RETURN docs."""
    import re

    registered: dict[str, str] = {}
    texts = []
    for f in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        texts.append(f.read_text())
        for t in yaml.safe_load(f.read_text()) or []:
            mod = next((k for k in t if isinstance(k, str) and k.startswith("ansible.windows.")), None)
            if mod and "register" in t:
                registered[t["register"]] = mod.split(".")[-1]
    assert {"__synchronizer_install", "__synchronizer_started", "__synchronizer_installed"} <= set(registered)
    used: set[tuple[str, str]] = set()
    for text in texts:
        for var, mod in registered.items():
            used |= {(mod, key) for key in re.findall(rf"\b{var}\.(\w+)", text)}
    bad = sorted((m, k) for m, k in used if k not in _return_doc(m) | COMMON_RESULT_KEYS)
    assert bad == []
    assert ("win_package", "reboot_required") in used and ("win_service", "state") in used
    # what fleet's filters read from them (fleet.desired.plan.windows_seen / reg_stat_values)
    assert {"name", "state", "start_mode"} <= set(_return_spec("win_service_info")["services"]["contains"])
    assert {"exists", "properties"} <= _return_doc("win_reg_stat") and "output" in _return_doc("win_powershell")


def test_a_product_key_with_a_double_quote_is_planned_not_refused() -> None:
    from helpers_deploy import config, host_and_practice

    from fleet.catalog import default_catalog
    from fleet.desired.plan import plan_host

    host, practice = host_and_practice("dentrix", role="server", platform="windows")
    key = 'AB"CD-12'
    sync = plan_host(host, practice, {"fleet_product_key": key}, default_catalog(), config()).to_dict()["synchronizer"]
    assert sync["action"] == "install" and sync["product_key_fingerprint"] == fingerprint(key)
    assert key not in str(sync)
    assert msi_arguments(sync, key).endswith('PRODUCTKEY="AB""CD-12"')


def test_fleet_yml_takes_the_upgrade_code_and_display_name(tmp_path: Path) -> None:
    import copy

    from fleet.config import load_config
    from fleet.errors import ConfigError
    from fleet.example import example_config

    raw = copy.deepcopy(example_config())
    raw["synchronizer"].update(upgrade_code="{6f3a0c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b}", display_name="Synchronizer")
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump(raw))
    sync = load_config(path).synchronizer
    assert sync is not None and sync.upgrade_code == "{6F3A0C2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B}"
    assert sync.display_name == "Synchronizer"
    raw["synchronizer"]["upgrade_code"] = "6f3a0c2e"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="not an MSI GUID") as err:
        load_config(path)
    assert "fleet.yml:" in str(err.value)


# -- exit code 3010: installed, replaced at the restart ---------------------------------------------


def pending(boot: str, version: str = "4.1.0.0", at: str = "1800000000", key: str = FP,
            wanted: str = "4.2.0", **kw: Any) -> SynchronizerSeen:
    s = seen(version=version, key="0" * 16, **kw)
    return SynchronizerSeen(**{**s.__dict__, "pending_version": wanted, "pending_key": key, "pending_boot": at,
                               "boot": boot})


# (case, seen, steps, reboot_pending, why fragment)
PENDING = [
    ("no restart yet: wait, do not install again", pending("1800000001"), [], True, "waiting for the restart"),
    ("no restart yet, the service not there yet either", pending("1800000000", service=False, products=()), [], True,
     "3010"),
    ("restarted, the wanted version runs: verify and record", pending("1800090000", version="4.2.0.0"), ["verify"],
     False, "restarted"),
    ("restarted, stopped: verify, then start", pending("1800090000", version="4.2.0.0", running=False),
     ["verify", "service"], False, "restarted"),
    ("restarted, still the old version: install again", pending("1800090000"), ["install", "verify", "service"],
     False, "4.2.0 wanted"),
    ("fleet.yml moved on to another version meanwhile", pending("1800000000", wanted="4.1.5"),
     ["install", "verify", "service"], False, "4.2.0 wanted"),
    ("the key was rotated again meanwhile", pending("1800000000", key="1" * 16), ["install", "verify", "service"],
     False, "4.2.0 wanted"),
    ("boot time unreadable: not taken as the same boot", pending(""), ["install", "verify", "service"], False,
     "4.2.0 wanted"),
]


@pytest.mark.parametrize(("state", "steps", "waits", "why"), [p[1:] for p in PENDING], ids=[p[0] for p in PENDING])
def test_an_install_that_asked_for_a_restart(state: SynchronizerSeen, steps: list[str], waits: bool,
                                              why: str) -> None:
    ch = synchronizer_changes(plan(), state)
    assert ch.steps == steps and ch.reboot_pending is waits and why in ch.why, ch


def test_the_pending_install_is_read_from_the_marker_and_the_boot_from_the_host() -> None:
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "stopped", "start_mode": "auto"}]}
    marker = {"exists": True, "properties": {"PendingVersion": {"value": "4.2.0"},
                                             "PendingKeyFingerprint": {"value": FP},
                                             "PendingBoot": {"value": "1800000000"}}}
    installed = {"output": [{"products": [{"product_code": CODE, "version": "4.1.0"}], "binary_version": "4.1.0.0",
                             "boot_time": "1800000000"}]}
    s = windows_seen(svc, marker, installed)
    assert (s.pending_version, s.pending_key, s.pending_boot, s.boot) == ("4.2.0", FP, "1800000000", "1800000000")
    assert synchronizer_changes(plan(), s).reboot_pending
    assert "boot_time = [string]$bootTime" in (FILES / "read_installed.ps1").read_text()


def test_3010_is_recorded_as_pending_and_only_a_verified_install_as_done() -> None:
    verify = {t["name"]: t for t in tasks("windows_verify.yml")}
    stop = next(t for n, t in verify.items() if n.startswith("Stop unless"))
    assert "__synchronizer_install.reboot_required" in stop["ansible.builtin.assert"]["that"]
    done = verify["Record the verified version, product code and product-key fingerprint"]
    assert "__synchronizer_verified.ok" in done["when"] and "not" not in done["when"].replace("ansible_check_mode", "")
    waits = verify["Record the install that waits for the restart the installer asked for"]
    assert "not __synchronizer_verified.ok" in waits["when"]
    assert [i["name"] for i in waits["loop"]] == ["PendingVersion", "PendingKeyFingerprint", "PendingBoot"]
    assert "product_key_fingerprint" in waits["loop"][1]["data"] and "product_key }}" not in str(waits)
    forget = verify["Forget an install that waited for the restart"]
    assert forget["loop"] == ["PendingVersion", "PendingKeyFingerprint", "PendingBoot"]
    assert "__synchronizer_verified.ok" in forget["when"] and forget["ansible.windows.win_regedit"]["state"] == "absent"
    report = next(t for t in tasks("windows.yml") if "reboot_pending" in str(t.get("when", "")))
    assert module(report) == "ansible.builtin.debug"


def test_a_product_matches_by_folder_only_in_the_service_binarys_own_folder() -> None:
    """What matches is uninstalled on a reinstall or removal: a product whose InstallLocation is a
    folder above the binary's (the practice system's own folder, C:\\, C:\\Program Files) is not the
    Synchronizer."""
    root = Parser(LANG).parse((FILES / "read_installed.ps1").read_bytes()).root_node
    stack, match = [root], None
    while stack:
        n = stack.pop()
        if n.type == "assignment_expression" and n.text.decode().startswith("$match ="):
            match = n.text.decode()
        stack.extend(n.children)
    assert match is not None
    folder = [c for c in match.split(" -or ") if "$location" in c]
    assert len(folder) == 1 and "$binaryDir.Equals($location" in folder[0]
    assert "StartsWith($location" not in match and "Contains(" not in match


def test_an_uninstall_that_asked_for_a_restart_is_waited_for_not_failed() -> None:
    remove = {t["name"]: t for t in tasks("windows_remove.yml")}
    stop = next(t for n, t in remove.items() if n.startswith("Stop unless the service is gone"))
    assert "reboot_required" in stop["ansible.builtin.assert"]["that"]
    record = remove["Record that the service goes at the restart the uninstaller asked for"]
    assert record["ansible.windows.win_regedit"]["name"] == "PendingRemovalBoot"
    assert "boot_time" in record["ansible.windows.win_regedit"]["data"]
    # fleet's record goes only with the service
    assert "length == 0" in remove["Remove fleet's record of the install"]["when"]
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "stopped", "start_mode": "auto"}]}
    marker = {"exists": True, "properties": {"PendingRemovalBoot": {"value": "1800000000"}}}
    s = windows_seen(svc, marker, {"output": [{"products": [], "boot_time": "1800000001"}]})
    ch = synchronizer_changes(plan(action="remove"), s)
    assert ch.reboot_pending and ch.steps == [] and "3010" in ch.why


def test_the_task_names_docs_windows_verification_expects_exist() -> None:
    """docs/windows-verification.md tells the technician which task must have run ("Expected: ... ran"):
    each quoted task name (or its start, "...") is a task or a report of the roles (Jinja parts match anything)."""
    import re

    def flat(text: str) -> str:
        return re.sub(r"\s+", " ", text)

    doc = flat((ROOT / "docs" / "windows-verification.md").read_text())
    verbs = ("Install", "Uninstall", "Report", "Record", "Make", "Read", "Stop", "Remove", "Keep", "Download",
             "Forget", "The Synchronizer", "Work out")
    quoted = [q for q in re.findall(r'"([A-Z][^"]{8,}?)"', doc) if q.startswith(verbs)]
    assert len(quoted) >= 8
    said = []
    for f in (ROOT / "roles").glob("*/tasks/*.yml"):
        for t in yaml.safe_load(f.read_text()) or []:
            said.append(flat(t.get("name", "")))
            said += [flat(str(v.get("msg", ""))) for k, v in t.items() if k.endswith(".debug")]
    patterns = []
    for text in said:
        literal = re.split(r"\{\{.*?\}\}", text)
        if sum(len(p.strip()) for p in literal) >= 12:  # a report that is all Jinja says nothing checkable
            patterns.append((text, re.compile(".*".join(re.escape(p) for p in literal))))

    def found(q: str) -> bool:
        if q.endswith("..."):  # the start of a name or report
            return any(t.startswith(q[:-3]) for t, _ in patterns)
        return any(p.fullmatch(q) for _, p in patterns)

    missing = [q for q in quoted if not found(q)]
    assert missing == []


def test_an_unsafe_download_folder_is_removed_without_following_links() -> None:
    """A standard user may create C:\\ProgramData\\fleet (or downloads) as a junction to any folder.
    Windows PowerShell 5.1's Remove-Item -Recurse follows junctions (PowerShell/PowerShell#621): run as
    SYSTEM it would empty the target. A link is removed as a link; a real folder with .NET's recursive
    delete, which does not recurse through reparse points; a link is never judged by its target's ACL."""
    source = (FILES / "secure_folder.ps1").read_text()
    root = Parser(LANG).parse(source.encode()).root_node
    stack, commands = [root], []
    while stack:
        n = stack.pop()
        if n.type == "command":
            name = next((c for c in n.children if c.type == "command_name"), None)
            if name is not None:
                commands.append(name.text.decode().lower())
        stack.extend(n.children)
    assert not {"remove-item", "rm", "del", "rmdir", "rd", "erase"} & set(commands), commands
    assert "[System.IO.Directory]::Delete($Folder, $false)" in source  # the link only
    assert "[System.IO.Directory]::Delete($Folder, $true)" in source
    # the reparse-point test comes before the ACL is read
    loop = source[source.index("foreach ($folder in"):]
    assert loop.index("ReparsePoint") < loop.index("Test-SafeFolder $folder")
    assert "Get-Item -LiteralPath $folder -Force" in loop  # a dangling link is seen, not "missing"
