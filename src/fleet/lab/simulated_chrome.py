"""Chrome's part on lab hosts without a real browser: what Chrome would install from the policy fleet
wrote (``fleet lab browsers`` in the simulated mode, for labs of hundreds of hosts)."""


from __future__ import annotations

from pathlib import Path

from fleet.desired.platforms import FLAVORS
from fleet.lab.workspace import engine_dir

# -- Chrome's part on the lab hosts --------------------------------------------------------------------

# browser flavour -> (managed policy folder, user-data dir under the login user's home)
BROWSER_FLAVORS: dict[str, tuple[str, str]] = {f.name: (f.policy, f.data) for f in FLAVORS["linux"]}
SIMULATED_VERSION = "1.0.0_0"
FORCE_MARKER = ".fleet-lab-force-installed"


def effective_forcelist(policy_dir: Path) -> list[str]:
    """ExtensionInstallForcelist as Chrome reads a managed folder: from the last file (by name) that
    sets it; files that are not valid JSON objects are skipped."""
    from fleet.desired.plan import parse_policy_json

    found: list[str] = []
    for f in sorted(policy_dir.glob("*.json")) if policy_dir.is_dir() else []:
        try:
            doc = parse_policy_json(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("ExtensionInstallForcelist"), list):
            found = [str(e) for e in doc["ExtensionInstallForcelist"]]
    return found


def simulate_browsers(workspace: Path) -> dict[str, int]:
    """Do on every running lab host what Chrome, Chromium and Edge do with their managed policy:
    install the force-listed extensions into every profile of an existing user-data dir and remove
    the force-installed ones that left the list. Returns {host: extensions installed or removed}."""
    import shutil

    from fleet.lab import Lab
    from fleet.lab.layout import login_user

    lab = Lab(engine_dir(workspace))
    _, home = login_user()
    changes: dict[str, int] = {}
    for rec in lab.state().hosts.values():
        hp = lab.paths.host(rec.name)
        n = 0
        for policy, data in BROWSER_FLAVORS.values():
            user_data = hp.fs_path(home / data)
            if not user_data.is_dir():
                continue
            wanted = {e.split(";", 1)[0].strip().lower() for e in effective_forcelist(hp.fs_path(policy))}
            for prof in [user_data / "Default", *sorted(user_data.glob("Profile *"))]:
                if not prof.is_dir():
                    continue
                ext_dir = prof / "Extensions"
                ext_dir.mkdir(exist_ok=True)
                for d in list(ext_dir.iterdir()):
                    if d.name not in wanted and (d / FORCE_MARKER).exists():
                        shutil.rmtree(d)
                        n += 1
                for ext_id in sorted(wanted):
                    target = ext_dir / ext_id / SIMULATED_VERSION
                    if not target.is_dir():
                        target.mkdir(parents=True)
                        (target / "manifest.json").write_text('{"manifest_version": 3, "name": "simulated"}\n')
                        (ext_dir / ext_id / FORCE_MARKER).write_text("")
                        n += 1
        changes[rec.name] = n
    return changes
