"""Domain errors. The CLI turns them into clear messages and exit codes; nothing else prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and a line when known."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class FleetError(Exception):
    """Base for every error fleet reports to a user (exit 1 at the CLI)."""

    def __init__(self, message: str, *, where: Location | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class ConfigError(FleetError):
    """fleet.yml is missing, malformed or incomplete."""


class InventoryError(FleetError):
    """An inventory file cannot be read or describes something impossible."""


class CatalogError(FleetError):
    """The practice-system catalog is malformed or a system is unknown."""


class VaultError(FleetError):
    """The vault password is missing/wrong or a vault file cannot be read."""


class SelectionError(FleetError):
    """A --practice/--client/--limit selection names nothing or something unknown."""


class ImportFileError(FleetError):
    """An RMM export (CSV) cannot be imported."""
