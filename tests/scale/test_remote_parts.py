"""fleet.remote without a node: node settings, the worker's shell wrapper (run for real with a stand-in
ansible-runner), the job directory sent to a node, and collector events -> raw results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.errors import ConfigError
from fleet.remote import ExecutionNode, RemoteError, RemoteJob, resolve_node
from fleet.remote.health import COLLECT_TASK, collect_playbook, raw_from_event
from fleet.remote.node import parse_nodes
from fleet.remote.stream import build_private_data_dir, node_config

# -- nodes ----------------------------------------------------------------------------------------


def test_nodes_from_fleet_yml(tmp_path: Path) -> None:
    cfg = tmp_path / "fleet.yml"
    cfg.write_text(yaml.safe_dump({"remote": {"nodes": {"lakeside": {
        "ssh": "msp@10.20.0.5", "port": 2222, "ssh_options": ["IdentityFile=~/.ssh/lakeside"],
        "runner": "/opt/fleet/bin/ansible-runner", "forks": 20}}}}))
    node = resolve_node("lakeside", cfg)
    assert (node.destination, node.port, node.forks, node.runner) == (
        "msp@10.20.0.5", 2222, 20, "/opt/fleet/bin/ansible-runner")
    argv = node.ssh_argv("true")
    assert argv[:2] == ["ssh", "-T"] and argv[-3:] == ["--", "msp@10.20.0.5", "true"]
    assert argv.index("IdentityFile=~/.ssh/lakeside") < argv.index("BatchMode=yes")  # the node's own options win
    # command-line settings override the named node's
    node = resolve_node("lakeside", cfg, runner="/x/ansible-runner", ssh_options=["Port=2200"])
    assert node.runner == "/x/ansible-runner" and node.ssh_options[0] == "Port=2200"


def test_plain_destination_and_bad_via(tmp_path: Path) -> None:
    assert resolve_node("root@site-a.example.net", None).destination == "root@site-a.example.net"
    with pytest.raises(RemoteError, match="neither a node"):
        resolve_node("-oProxyCommand=evil", None)
    with pytest.raises(RemoteError, match="neither a node"):
        resolve_node("a b", None)


@pytest.mark.parametrize("bad, match", [
    ({"nodes": {"x": {"port": 22}}}, "needs 'ssh"),
    ({"nodes": {"x": {"ssh": "h", "port": 70000}}}, "TCP port"),
    ({"nodes": {"x": {"ssh": "h", "forks": 0}}}, "positive"),
    ({"nodes": {"x": {"ssh": "h", "ssh_options": "IdentityFile=k"}}}, "list of strings"),
    ({"nodes": {"x": {"ssh": "h", "user": "root"}}}, "unknown key"),
    ({"nodes": ["x"]}, "mapping"),
])
def test_bad_node_settings(bad: dict, match: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_nodes(bad, tmp_path / "fleet.yml")


# -- the worker wrapper, run for real ------------------------------------------------------------

FAKE_RUNNER = """#!/bin/sh
# stands in for ansible-runner: records where it ran, then behaves as asked
printf '%s\\n' "$@" > "$FAKE_LOG.args"
printf '%s\\n' "$ANSIBLE_LOCAL_TEMP" > "$FAKE_LOG.tmp"
command -v ansible-playbook > "$FAKE_LOG.which"
while [ $# -gt 0 ]; do [ "$1" = --private-data-dir ] && d=$2; shift; done
mkdir -p "$d/env" && printf 'secret' > "$d/env/passwords"
echo "$d" > "$FAKE_LOG.dir"
cat >/dev/null
exit "${FAKE_EXIT:-0}"
"""


@pytest.mark.parametrize("exit_code", [0, 3])
def test_worker_wrapper_removes_the_job_dir(tmp_path: Path, exit_code: int) -> None:
    bin_dir = tmp_path / "node-bin"
    bin_dir.mkdir()
    (bin_dir / "ansible-runner").write_text(FAKE_RUNNER)
    (bin_dir / "ansible-playbook").write_text("#!/bin/sh\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    node = ExecutionNode("n", "h", runner=str(bin_dir / "ansible-runner"))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = tmp_path / "log"
    env = {**os.environ, "TMPDIR": str(scratch), "FAKE_LOG": str(log), "FAKE_EXIT": str(exit_code)}
    r = subprocess.run(["/bin/sh", "-c", node.worker_command()], input=b"stream", env=env, timeout=30)
    assert r.returncode == exit_code
    args = (tmp_path / "log.args").read_text().split()
    assert args[0] == "worker" and "--delete" in args
    job_dir = Path((tmp_path / "log.dir").read_text().strip())
    assert job_dir.parent.parent == scratch  # under $TMPDIR/fleet-worker.XXXX/
    assert (tmp_path / "log.tmp").read_text().strip() == f"{job_dir.parent}/ansible-tmp"
    assert (tmp_path / "log.which").read_text().strip() == str(bin_dir / "ansible-playbook")
    assert list(scratch.iterdir()) == []  # job dir, password file and temp dir gone


# -- the job directory ----------------------------------------------------------------------------


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    inv = tmp_path / "ws" / "inventory"
    (inv / "group_vars" / "practice_a").mkdir(parents=True)
    (inv / "client.yml").write_text("all: {}\n")
    (inv / "group_vars" / "practice_a" / "vault.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    (inv / "group_vars" / "practice_a" / "plain.yml").write_text("fleet_x: 1\n")
    (inv / ".hidden").write_text("x")
    cfg = tmp_path / "ws" / "fleet.yml"
    cfg.write_text(yaml.safe_dump({"msp": {"name": "m"}, "store": {"url": "postgresql://u:pw@db/fleet"},
                                   "alerts": [{"url": "https://hooks.slack.com/services/T/B/SECRET"}],
                                   "remote": {"nodes": {}}, "sync_endpoint": "https://sync.example"}))
    return inv, cfg


@pytest.mark.parametrize("send_vaults", [True, False])
def test_job_dir(tmp_path: Path, send_vaults: bool) -> None:
    inv, cfg = _workspace(tmp_path)
    job = RemoteJob(ident="x", playbook="collect.yml", project={"collect.yml": collect_playbook()},
                    inventory_dir=inv, config_path=cfg, send_vaults=send_vaults)
    pdd = build_private_data_dir(tmp_path / "pdd", job)
    files = sorted(str(p.relative_to(pdd)) for p in pdd.rglob("*") if p.is_file())
    expected = ["fleet.yml", "inventory/client.yml", "inventory/group_vars/practice_a/plain.yml",
                "project/collect.yml"]
    if send_vaults:
        expected.insert(3, "inventory/group_vars/practice_a/vault.yml")
    assert files == sorted(expected)
    sent = (pdd / "fleet.yml").read_text()
    assert "pw@db" not in sent and "SECRET" not in sent and "remote" not in yaml.safe_load(sent)
    assert yaml.safe_load(sent)["sync_endpoint"] == "https://sync.example"
    assert node_config(cfg) == sent


# -- collector events -------------------------------------------------------------------------------


def _event(kind: str, res: dict, task: str = COLLECT_TASK) -> dict:
    return {"event": kind, "event_data": {"host": "h1", "task": task, "res": res, "duration": 0.5,
                                          "start": "2026-11-24T03:00:00.000000", "end": "2026-11-24T03:00:00.500000"}}


def test_events_to_raw_results() -> None:
    ok = raw_from_event(_event("runner_on_ok", {"stdout": '{"fleet_health":1}', "rc": 0}), 1024)
    assert ok is not None and ok.stdout == b'{"fleet_health":1}' and not ok.error and ok.elapsed == pytest.approx(0.5)
    bad = raw_from_event(_event("runner_on_ok", {"stdout": "", "stderr": "x\nawk: boom", "rc": 3}), 1024)
    assert bad is not None and bad.error == "collector exited with 3: awk: boom" and not bad.unreachable
    gone = raw_from_event(_event("runner_on_unreachable", {"msg": "Failed to connect  to the host via ssh"}), 1024)
    assert gone is not None and gone.unreachable and gone.error == "Failed to connect to the host via ssh"
    nopy = raw_from_event(_event("runner_on_failed", {"msg": "/usr/bin/python3: not found"}), 1024)
    assert nopy is not None and "could not run the collector" in nopy.error
    big = raw_from_event(_event("runner_on_ok", {"stdout": "x" * 2048, "rc": 0}), 1024)
    assert big is not None and "limit" in big.error and big.stdout == b""
    assert raw_from_event(_event("runner_on_ok", {"rc": 0}, task="Gathering Facts"), 1024) is None
    assert raw_from_event({"event": "playbook_on_stats", "event_data": {}}, 1024) is None


def test_collect_playbook_passes_ansible_lint(tmp_path: Path) -> None:
    lint = Path(sys.executable).parent / "ansible-lint"
    if not lint.exists():
        pytest.skip("ansible-lint is not installed")
    r = subprocess.run([str(lint), "--offline", "--profile", "production", "-q", str(collect_playbook())],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
