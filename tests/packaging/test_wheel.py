"""The wheel works on its own: built from the repo, installed (not editable) into a fresh venv that
cannot see the source tree, run from an unrelated directory.

Dependencies: instead of downloading them again, the test venv sees the project venv's
site-packages through a directory of symlinks that leaves out every trace of the editable fleet
install (its package dir, dist-info and .pth). The test asserts that ``fleet`` then resolves to the
wheel's files and that the source tree is not on ``sys.path``."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import fleet

pytestmark = pytest.mark.slow

REPO = Path(fleet.__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith(("FLEET_", "ANSIBLE_VAULT"))}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, **kw)  # type: ignore
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("fleet is not running from its source tree")
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(dist), str(REPO)], cwd=dist)
    (whl,) = dist.glob("fleet-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    v = root / "v"
    _run([sys.executable, "-m", "venv", "--without-pip", str(v)], cwd=root)
    py = v / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
         cwd=root)
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=root).stdout.strip())
    # The project venv's dependencies, minus anything of fleet's own editable install.
    deps = root / "deps"
    deps.mkdir()
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        name = entry.name.lower()
        if name in ("fleet", "__pycache__") or name.startswith(("fleet-", "fleet.", "_editable_impl_fleet",
                                                                   "__editable__.fleet", "__editable___fleet")):
            continue
        if name == "ansible_collections" or re.match(r"ansible-\d", name):
            continue  # the `ansible` package (an extra, and a test tool): `pip install fleet` has none of it
        if entry.suffix == ".pth":
            continue  # .pth files only act in a site dir; none of them may re-add the source tree
        (deps / entry.name).symlink_to(entry)
    (site / "zz_project_deps.pth").write_text(f"{deps}\n")
    _console_scripts(deps, v / "bin")
    return v


def _console_scripts(deps: Path, bin_dir: Path) -> None:
    """The commands pip would have installed with the dependencies (ansible-playbook, ...)."""
    import configparser

    for ep_file in deps.glob("*.dist-info/entry_points.txt"):
        cp = configparser.ConfigParser(delimiters=("=",))
        cp.optionxform = str  # type: ignore[assignment,method-assign]
        cp.read(ep_file)
        if not cp.has_section("console_scripts"):
            continue
        for name, target in cp.items("console_scripts"):
            module, func = target.strip().split(":")
            script = bin_dir / name
            script.write_text(f"#!{bin_dir / 'python'}\nimport sys\nfrom {module} import {func.split('.')[0]}\n"
                              f"sys.exit({func}())\n")
            script.chmod(0o755)


def test_the_wheel_holds_the_package_data_and_declares_its_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
        sources = {n: zf.read(n).decode() for n in names if n.endswith(".py")}
    assert "fleet/data/catalog.yaml" in names
    assert "fleet/_data/collections/ansible_collections/ansible/windows/plugins/modules/win_regedit.ps1" in names
    assert "fleet/_data/collections/ansible_collections/ansible/windows/COPYING" in names
    for d in ("playbooks", "roles", "templates", "collections"):
        assert any(n.startswith(f"fleet/_data/{d}/") for n in names), d
    assert not any(n.startswith(("src/", "tests/")) for n in names)
    assert "fleet = fleet.cli.main:main" in _entry_points(wheel)
    # Every third-party module the package imports is a declared dependency (or an extra's).
    required = {_norm(m.group(1)) for m in re.finditer(r"^Requires-Dist: ([A-Za-z0-9_.\-]+)", meta, re.M)}
    # A hard (unconditional) requirement of a declared dependency is guaranteed too (jinja2 -> markupsafe).
    from importlib.metadata import PackageNotFoundError, packages_distributions, requires

    for dep in list(required):
        try:
            reqs = requires(dep) or []
        except PackageNotFoundError:
            continue
        required |= {_norm(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0]) for r in reqs if ";" not in r}
    dists = packages_distributions()
    missing = {}
    for name, text in sources.items():
        for mod in _imported_top_modules(text):
            if mod in sys.stdlib_module_names or mod == "fleet" or mod.startswith("_"):
                continue
            providers = {_norm(d) for d in dists.get(mod, [mod])}
            if not providers & required:
                missing.setdefault(mod, []).append(name)
    assert not missing, f"imported but not declared in pyproject dependencies: {missing}"


def _entry_points(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        return zf.read(name).decode()


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_modules(source: str) -> set[str]:
    mods: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module.split(".")[0])
    return mods


def test_the_installed_wheel_runs_without_the_source_tree(venv: Path, tmp_path: Path) -> None:
    py, fleet_bin = venv / "bin" / "python", venv / "bin" / "fleet"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    probe = json.loads(_run([str(py), "-c", (
        "import json, sys, fleet, fleet.inventory.rmm_import, ruamel.yaml, ansible, importlib.metadata as md;"
        "print(json.dumps({'file': fleet.__file__, 'path': sys.path,"
        " 'dists': [d.locate_file('').__str__() for d in md.distributions() if d.metadata['Name'] == 'fleet']}))"
    )], cwd=cwd).stdout)
    site = Path(probe["file"]).parent.parent
    assert site.is_relative_to(venv), probe["file"]
    assert not any(str(REPO) in p for p in probe["path"]), "the source tree is on sys.path"
    assert [Path(d) for d in probe["dists"]] == [site]
    # Installed without extras: no `ansible` package, so no collection but the ones fleet ships.
    probe_ansible = "import importlib.util as u; print(u.find_spec('ansible_collections') is not None)"
    has_ansible = _run([str(py), "-c", probe_ansible], cwd=cwd).stdout.strip()
    assert has_ansible == "False"

    assert _run([str(fleet_bin), "--version"], cwd=cwd).stdout.strip() == f"fleet, version {fleet.__version__}"
    catalog = json.loads(_run([str(fleet_bin), "catalog", "list", "--json"], cwd=cwd).stdout)
    assert len(catalog) == 14

    _run([str(fleet_bin), "init", "--example", "msp"], cwd=cwd)
    validated = _run([str(fleet_bin), "-w", "msp", "inventory", "validate", "--json"], cwd=cwd)
    assert json.loads(validated.stdout)["ok"] is True

    paths = json.loads(_run([str(fleet_bin), "paths", "--json"], cwd=cwd).stdout)
    for name in ("playbooks", "roles", "templates"):
        p = Path(paths[name])
        assert p == site / "fleet" / "_data" / name, paths
        assert p.is_dir() and not p.is_relative_to(REPO)
    cfg = (cwd / "msp" / "ansible.cfg").read_text()
    assert str(site / "fleet" / "_data" / "roles") in cfg and str(REPO) not in cfg

    # The RMM import (ruamel.yaml, a runtime dependency) works from the wheel too.
    (cwd / "devices.csv").write_text("Organization,Location,System Name,IP Addresses,OS Name\n"
                                     "Lakeside Family Dentistry,Main Street,LFD-FRONT02,10.20.0.22,Windows 11\n")
    _run([str(fleet_bin), "-w", "msp", "inventory", "import", "devices.csv"], cwd=cwd)
    assert "lfd-front02:" in (cwd / "msp" / "inventory" / "lakeside.yml").read_text()


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root")
@pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server")
def test_the_wheel_without_extras_deploys_to_a_lab(venv: Path, tmp_path: Path) -> None:
    """The newcomer's first hour: the wheel, no extras (no `ansible` package), a lab, a deploy that
    reaches every host (the roles' ansible.windows names resolve from the collection fleet ships)."""
    fleet_bin = venv / "bin" / "fleet"
    lab_dir = tmp_path / "lab"
    try:
        _run([str(fleet_bin), "lab", "up", "--practices", "1", "--workstations", "1", "--browsers", "simulated",
              "--dir", str(lab_dir)], cwd=tmp_path)
        paths = json.loads(_run([str(fleet_bin), "-w", str(lab_dir), "paths", "--json"], cwd=tmp_path).stdout)
        assert Path(paths["collections"]).is_relative_to(venv)
        out = _run([str(fleet_bin), "-w", str(lab_dir), "deploy", "--yes", "--json"], cwd=tmp_path)
        result = json.loads(out.stdout)
        assert result["status"] == "ok", out.stdout[-3000:] + out.stderr[-3000:]
        hosts = {h["host"]: h["status"] for h in result["hosts"]}
        assert hosts == {"bs-downtown-ws01": "changed"}, hosts  # before the fix: unknown (exit 4 at parse)
    finally:
        subprocess.run([str(fleet_bin), "lab", "down", "--purge", "--dir", str(lab_dir)], cwd=tmp_path,
                       capture_output=True, timeout=120)
