"""Fixtures shared by the lab end-to-end tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fleet.lab import Lab, plan_lab


@dataclass(frozen=True)
class SmallLab:
    """A running lab of 2 practices x 1 workstation (+ the on-prem practice's server: 3 hosts) and its
    fleet workspace, vaulted with ``password``."""

    root: Path
    lab: Lab
    password: str


@pytest.fixture(scope="module")
def small_lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallLab]:
    """One small lab per test module, brought down (and purged) after the module's last test."""
    from fleet.lab.workspace import engine_dir, write_lab_workspace

    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "ws"
    lab = Lab(engine_dir(root))
    password = "pw-" + secrets.token_hex(12)
    try:
        state = lab.up(plan_lab(practices=2, workstations=1), timeout=120)
        write_lab_workspace(root, state, password=password)
        yield SmallLab(root, lab, password)
    finally:
        lab.down(purge=True)
