"""Fixtures for the export tests (helpers live in helpers_export.py)."""

from __future__ import annotations

import pytest
from helpers_export import VAULT_PASSWORD


@pytest.fixture
def vault_env(monkeypatch: pytest.MonkeyPatch, clean_env: None) -> None:
    """The test vault password in $FLEET_VAULT_PASSWORD, nothing else from the developer's shell."""
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", VAULT_PASSWORD)
