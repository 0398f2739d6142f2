"""The hosts that go to Ansible run in ansible-playbook runs of at most ANSIBLE_BATCH_HOSTS.

One ansible-playbook for a whole first deploy grew with every host it ran: at 203 lab hosts (120 to
Ansible) the deploy peaked at 308-354 MB PSS, over the 300 MB target; runs of 60 hosts peaked at
273-294 MB in the same wall time (docs/benchmarks.md). ``--serial`` still decides when given.
"""

from __future__ import annotations

import pytest

from fleet.deploy.engine import ANSIBLE_BATCH_HOSTS, ansible_batches
from fleet.errors import FleetError


def names(n: int) -> list[str]:
    return [f"h{i:03d}" for i in range(n)]


@pytest.mark.parametrize(("n", "sizes"), [
    (0, []), (1, [1]), (ANSIBLE_BATCH_HOSTS, [ANSIBLE_BATCH_HOSTS]),
    (ANSIBLE_BATCH_HOSTS + 1, [31, 30]), (120, [60, 60]), (130, [44, 44, 42]), (1000, [59] * 16 + [56]),
])
def test_without_serial_the_hosts_run_in_even_runs_of_at_most_the_batch_size(n: int, sizes: list[int]) -> None:
    runs = ansible_batches(names(n), None)
    assert [len(r) for r in runs] == sizes
    assert [h for r in runs for h in r] == names(n)  # every host once, in order
    assert all(len(r) <= ANSIBLE_BATCH_HOSTS for r in runs)


@pytest.mark.parametrize(("serial", "sizes"), [("10", [10] * 12), ("100", [100, 20]), ("50%", [60, 60]),
                                              ("200", [120])])
def test_serial_decides_when_given(serial: str, sizes: list[int]) -> None:
    assert [len(r) for r in ansible_batches(names(120), serial)] == sizes


def test_a_bad_serial_is_refused_with_the_fix() -> None:
    with pytest.raises(FleetError) as exc:
        ansible_batches(names(5), "0")
    assert "--serial" in exc.value.message and "e.g." in (exc.value.hint or "")
