"""The health sweep through an execution node: collected at the site, judged and stored here.

    result = RemoteSweep(ws, store, settings, node, run_dir).run(hosts, SweepOptions(forks=25, timeout=60))

Only the collection moves: the node's Ansible runs fleet's POSIX collector on each host (the
playbook ``playbooks/collect.yml`` of this package, one pipelined round trip per host) with the
same expectations a local sweep sends, and each answer comes back as a runner event. Everything
after that is ``fleet.health.sweep.Sweep``'s own code: judging, one transaction per host in the
store, roll-ups, the run record, "interrupted" on Ctrl-C. Expectations carry fingerprints only, so
no secret is sent for a sweep (the vault password is not sent at all).

Windows hosts are reported UNKNOWN ("not collected through an execution node"): their collector
needs PowerShell remoting from the node, which this playbook does not do yet.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleet.health.checks import CheckSet
from fleet.health.settings import HealthSettings
from fleet.health.sweep import SSH_CONNECTIONS, Judged, Sweep, SweepHost, SweepOptions, collector_script
from fleet.health.transport import RawResult
from fleet.remote.node import ExecutionNode
from fleet.remote.stream import RemoteJob, RemoteResult, RemoteRun
from fleet.store import Store

if TYPE_CHECKING:
    from fleet.workspace import Workspace

COLLECT_PLAYBOOK = "collect.yml"
COLLECT_TASK = "Run the fleet collector"
_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable")


def collect_playbook() -> Path:
    return Path(str(resources.files("fleet.remote").joinpath(f"playbooks/{COLLECT_PLAYBOOK}")))


def _epoch(text: Any, default: float) -> float:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except (TypeError, ValueError):
        return default


def raw_from_event(event: dict[str, Any], max_output: int) -> RawResult | None:
    """A collector task's runner event -> the RawResult a local round trip would have given."""
    if event.get("event") not in _EVENTS:
        return None
    data = event.get("event_data") or {}
    if data.get("task") != COLLECT_TASK:
        return None
    host = str(data.get("host") or "")
    res = data.get("res") or {}
    now = time.time()
    received = _epoch(data.get("end"), now)
    sent = _epoch(data.get("start"), received - float(data.get("duration") or 0))
    msg = " ".join(str(res.get("msg") or "").split())[:500]
    if event["event"] == "runner_on_unreachable":
        return RawResult(host, b"", sent, received, error=msg or "unreachable from the execution node",
                         unreachable=True)
    stdout = str(res.get("stdout") or "").encode("utf-8", errors="replace")
    stderr = str(res.get("stderr") or "")[-2000:]
    rc = res.get("rc")
    if event["event"] == "runner_on_failed" and rc is None:
        return RawResult(host, b"", sent, received, error=f"the node could not run the collector: {msg}",
                         stderr=stderr)
    if len(stdout) > max_output:
        return RawResult(host, b"", sent, received, rc, f"output over the {max_output // 1024} KiB limit")
    if rc not in (0, None):
        why = stderr.strip().splitlines()[-1] if stderr.strip() else "no error output"
        return RawResult(host, stdout, sent, received, rc, f"collector exited with {rc}: {why}", stderr=stderr)
    return RawResult(host, stdout, sent, received, rc if isinstance(rc, int) else 0, stderr=stderr)


class RemoteSweep(Sweep):
    """A Sweep whose collection runs on an execution node (see the module docstring)."""

    def __init__(self, ws: Workspace, store: Store | Callable[[], Store], settings: HealthSettings,
                 node: ExecutionNode, run_dir: Path,
                 **kw: Any) -> None:
        super().__init__(ws, store, settings, **kw)
        self.node = node
        self.run_dir = run_dir
        self.remote_result: RemoteResult | None = None

    def _job(self, plans: Sequence[SweepHost], options: SweepOptions, ident: str) -> RemoteJob:
        expect = {p.host.name: json.dumps(p.expect.wire, separators=(",", ":")) for p in plans}
        return RemoteJob(
            ident=ident, playbook=COLLECT_PLAYBOOK,
            project={COLLECT_PLAYBOOK: collect_playbook(), "posix.sh": _collector_file(self.run_dir)},
            inventory_dir=self.ws.inventory_dir, config_path=None,
            hosts=[p.host.name for p in plans], forks=options.forks,
            extravars={"fleet_expect": expect, "fleet_collect_hosts": ",".join(expect)},
            envvars={"ANSIBLE_TIMEOUT": str(int(max(1, min(options.timeout, 30))))},
            send_vaults=False,  # expectations carry fingerprints; the node needs no secret to collect
        )

    def _answer_groups(self, plans: Iterable[SweepHost], options: SweepOptions,
                       on_started: Callable[[], None] | None = None) -> Iterator[list[tuple[SweepHost, RawResult]]]:
        # the node's answers come one event at a time: a group of one each
        return ([answer] for answer in self._node_answers(plans, options, on_started))

    def _node_answers(self, plans: Iterable[SweepHost], options: SweepOptions,
                      on_started: Callable[[], None] | None = None) -> Iterator[tuple[SweepHost, RawResult]]:
        plans = list(plans)  # the node's job carries every host's expectations: plan them all first
        by_name = {p.host.name: p for p in plans}
        todo = [p for p in plans if p.host.platform != "windows" and p.host.connection in SSH_CONNECTIONS]
        run = RemoteRun(self.node, self._job(todo, options, "health"), self.run_dir, keep_events=False) \
            if todo else None
        if run is not None:
            run.start()
        if on_started is not None:  # the store is opened while the node collects
            on_started()
        for p in plans:
            if p not in todo:
                now = time.time()
                yield p, RawResult(p.host.name, b"", now, now,
                                   error="not collected through an execution node (Windows/PowerShell remoting "
                                         "hosts are swept locally)")
        if run is None:
            return
        done: set[str] = set()
        ended = False
        try:
            while not run.finished():
                event = run.next_event()
                if event is None:
                    continue
                raw = raw_from_event(event, self.settings.max_output)
                if raw is None or raw.host not in by_name or raw.host in done:
                    continue
                done.add(raw.host)
                yield by_name[raw.host], raw
            self.remote_result = run.wait()
            ended = True
            why = self.remote_result.explanation or f"the execution node's run ended {self.remote_result.status}"
            for p in todo:
                if p.host.name not in done:
                    now = time.time()
                    yield p, RawResult(p.host.name, b"", now, now, error=f"no answer through {self.node.name}: {why}")
        finally:
            if not ended:  # interrupted: stop the node's run, keep what was judged
                run.cancel.set()
                self.remote_result = run.wait(timeout=30)


def _collector_file(run_dir: Path) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "posix.sh"
    path.write_text(collector_script("posix.sh"))
    return path


@contextlib.contextmanager
def sweep_via(node: ExecutionNode) -> Iterator[list[RemoteSweep]]:
    """Within this block, ``fleet.health.sweep.make_sweep(...)`` builds a RemoteSweep through ``node`` (so the
    ``fleet health`` command runs unchanged); yields the sweeps made, for their ``remote_result``."""
    from fleet.health import sweep as sweep_mod

    made: list[RemoteSweep] = []
    original = sweep_mod.make_sweep

    def factory(ws: Workspace, store: Store | Callable[[], Store], settings: HealthSettings,
                checks: CheckSet | None = None,
                on_host: Callable[[Judged], None] | None = None) -> Sweep:
        run_dir = Path(tempfile.mkdtemp(prefix="remote-health-", dir=_runs_dir(ws)))
        s = RemoteSweep(ws, store, settings, node, run_dir, checks=checks, on_host=on_host)
        made.append(s)
        return s

    sweep_mod.make_sweep = factory
    try:
        yield made
    finally:
        sweep_mod.make_sweep = original
        for s in made:  # collector answers and events: judged and stored already
            shutil.rmtree(s.run_dir, ignore_errors=True)


def _runs_dir(ws: Workspace) -> Path:
    d = Path(ws.state_dir) / "runs"
    d.mkdir(parents=True, exist_ok=True)
    return d
