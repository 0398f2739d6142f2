"""ansible-runner events -> fleet's records: the engine knows the playbook's landmark tasks by the
facts they set, not by their names (a reworded or translated task name must not break a deploy)."""

from __future__ import annotations

from typing import Any

import yaml

from fleet.deploy.events import DONE_FACT, PLAN_FACT, TaskResult, parse_event
from fleet.resources import data_dir
from fleet.secrets.redact import Redactor


def _ok(task: str, facts: dict[str, Any]) -> dict[str, Any]:
    return {"event": "runner_on_ok", "event_data": {"host": "ws1", "task": task, "task_action": "set_fact",
                                                    "task_uuid": "u1", "res": {"ansible_facts": facts}}}


def test_a_host_is_done_by_the_fact_its_last_task_sets_whatever_the_task_is_called() -> None:
    for name in ("Mark this host done", "Marquer cet hôte terminé", ""):
        r = parse_event(_ok(name, {DONE_FACT: True}), Redactor())
        assert isinstance(r, TaskResult) and r.done
    other = parse_event(_ok("Mark this host done", {"something_else": True}), Redactor())
    assert isinstance(other, TaskResult) and not other.done  # the name alone no longer counts


def test_a_plan_with_no_role_ends_the_host_by_its_fact() -> None:
    empty = parse_event(_ok("Planen", {PLAN_FACT: {"roles": [], "error": ""}}), Redactor())
    busy = parse_event(_ok("Planen", {PLAN_FACT: {"roles": ["synchronizer"], "error": ""}}), Redactor())
    assert isinstance(empty, TaskResult) and empty.done
    assert isinstance(busy, TaskResult) and not busy.done


def test_the_playbook_sets_the_facts_the_engine_keys_on() -> None:
    (play,) = yaml.safe_load((data_dir("playbooks") / "deploy.yml").read_text())
    facts = [set(t.get("ansible.builtin.set_fact") or {}) for t in play["tasks"]]
    assert PLAN_FACT in facts[0] and DONE_FACT in facts[-1]
