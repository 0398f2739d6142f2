"""The lab's error type: a FleetError so the CLI reports it like any other user-facing problem."""

from __future__ import annotations

from fleet.errors import FleetError


class LabError(FleetError):
    """The lab cannot be started, stopped or inspected (missing tool, bad directory, host failure...)."""
