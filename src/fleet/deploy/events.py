"""ansible-runner events -> small typed records, at the edge; nothing downstream reads raw dicts.

Only what fleet needs survives: host, task, module, changed/failed/unreachable/skipped, the loop
item labels of changed items, and a short message. Every string passes the ``Redactor`` first
(the second line of defence behind ``no_log``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fleet.secrets.redact import Redactor

# The engine recognises the deploy playbook's two landmark tasks by the facts they set, never by
# their names (which are for people, and may be reworded or translated):
# the last task on each host sets DONE_FACT: its result says "this host is done";
DONE_FACT = "fleet_host_done"
# the first sets PLAN_FACT; a plan naming no role ends the host right after it (meta: end_host,
# which sends no event), so that task's result is that host's done signal.
PLAN_FACT = "fleet_plan"
NO_LOG_NOTE = "details hidden (no_log)"

OK, FAILED, UNREACHABLE, SKIPPED = "ok", "failed", "unreachable", "skipped"
_TASK_EVENTS = {
    "runner_on_ok": OK,
    "runner_on_failed": FAILED,
    "runner_on_unreachable": UNREACHABLE,
    "runner_on_skipped": SKIPPED,
}
_ITEM_EVENTS = {"runner_item_on_ok": OK, "runner_item_on_failed": FAILED, "runner_item_on_skipped": SKIPPED}


@dataclass(frozen=True)
class TaskResult:
    """One task's outcome on one host (a task-level event)."""

    host: str
    task: str
    action: str
    outcome: str  # ok | failed | unreachable | skipped
    changed: bool
    ignored: bool  # a failure with ignore_errors
    message: str
    no_log: bool
    task_uuid: str
    nothing_to_do: bool = False  # the plan task found no role for this host (the play ends it)
    marks_done: bool = False  # the playbook's last task (it set DONE_FACT)

    @property
    def done(self) -> bool:
        return (self.marks_done and self.outcome == OK) or self.nothing_to_do


@dataclass(frozen=True)
class ItemResult:
    host: str
    task_uuid: str
    label: str
    changed: bool
    outcome: str


@dataclass(frozen=True)
class Stats:
    """playbook_on_stats: Ansible's own per-host counters at the end of a play run."""

    per_host: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


LOOP_SUMMARY = "All items completed"  # Ansible's msg for a looped task; the items hold the cause


def _message(res: Mapping[str, Any]) -> str:
    if res.get("msg") == LOOP_SUMMARY:  # e.g. a PSRP host whose port is closed: "unreachable: All items
        for item in res.get("results") or ():  # completed"; its first failed item says why
            if isinstance(item, Mapping) and (item.get("unreachable") or item.get("failed")):
                why = _message(item)
                if why:
                    return why
    for key in ("msg", "reason", "stderr", "module_stderr"):
        value = res.get(key)
        if value:
            text = value if isinstance(value, str) else str(value)
            return " ".join(text.split())[:1000]
    return ""


def _label(res: Mapping[str, Any]) -> str:
    label = res.get("_ansible_item_label", res.get("item", ""))
    if isinstance(label, Mapping):
        label = label.get("path") or label.get("name") or label.get("browser") or ""
    return str(label)[:200]


def _plan_names_no_role(res: Mapping[str, Any]) -> bool:
    plan = (res.get("ansible_facts") or {}).get(PLAN_FACT)
    return isinstance(plan, Mapping) and plan.get("roles") == [] and not plan.get("error")


def parse_event(event: Mapping[str, Any], redactor: Redactor) -> TaskResult | ItemResult | Stats | None:
    """The fleet view of one runner event, or None for events fleet does not use."""
    kind = event.get("event", "")
    data = event.get("event_data") or {}
    if kind in _TASK_EVENTS:
        res = data.get("res") or {}
        no_log = bool(res.get("_ansible_no_log")) or "censored" in res
        outcome = _TASK_EVENTS[kind]
        return TaskResult(
            host=str(data.get("host", "")),
            task=redactor.text(str(data.get("task", ""))),
            action=str(data.get("task_action", "")),
            outcome=outcome,
            changed=bool(res.get("changed")) and outcome in (OK, FAILED),
            ignored=bool(data.get("ignore_errors")) and outcome == FAILED,
            message="" if outcome in (OK, SKIPPED) and not no_log else redactor.text(_message(res)),
            no_log=no_log,
            task_uuid=str(data.get("task_uuid", "")),
            nothing_to_do=outcome == OK and _plan_names_no_role(res),
            marks_done=(res.get("ansible_facts") or {}).get(DONE_FACT) is True,
        )
    if kind in _ITEM_EVENTS:
        res = data.get("res") or {}
        return ItemResult(
            host=str(data.get("host", "")),
            task_uuid=str(data.get("task_uuid", "")),
            label=redactor.text(_label(res)),
            changed=bool(res.get("changed")),
            outcome=_ITEM_EVENTS[kind],
        )
    if kind == "playbook_on_stats":
        per_host: dict[str, dict[str, int]] = {}
        for counter in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored", "processed"):
            for host, n in (data.get(counter) or {}).items():
                per_host.setdefault(str(host), {})[counter] = int(n) if counter != "processed" else 1
        return Stats(per_host)
    return None
