"""What every export format shares: options, the per-practice input, the artifacts it produces.

A format is a function ``render(ctx: PracticeContext) -> list[Artifact]``. It reads the practice's
:class:`~fleet.desired.policy.PracticePolicy` (the one policy model) and the export options; it never
looks at the inventory, the catalog or the config to work out keys, IDs or values again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fleet import __version__
from fleet.config import GpoDomain
from fleet.desired.context import join_state, lenient_host_context
from fleet.desired.platforms import ABSENT, UNKNOWN_JOIN
from fleet.desired.policy import REG_DWORD, REG_SZ, PracticePolicy, RegistryValue
from fleet.errors import FleetError
from fleet.inventory.model import Practice

T = TypeVar("T")

#: Default value name of our ExtensionInstallForcelist entry in GPO / LGPO / .reg / Intune exports.
#: Chromium reads every numerically named value of the key, gaps allowed (src/fleet/export/README.md), so a
#: high number keeps clear of the "1", "2", ... other software and hand-made GPOs use.
DEFAULT_FORCELIST_SLOT = 100
#: Chromium parses the names with base::StringToInt: they must fit a signed 32-bit int.
MAX_FORCELIST_SLOT = 2**31 - 1

#: Namespace for the stable UUIDs of exported objects (GPO backup ids, profile payload UUIDs).
FLEET_UUID_NAMESPACE = uuid.UUID("6f1e6c1e-7a52-5b1c-9d7e-0f1ee7e0a001")


class ExportError(FleetError):
    """An artifact cannot be produced for a practice (bad data for the format, no token...)."""


@dataclass(frozen=True)
class ExportOptions:
    forcelist_slot: int = DEFAULT_FORCELIST_SLOT
    embed_token: bool = False
    zip: bool = False
    gpo_domain: GpoDomain | None = None  # --gpo-domain/--gpo-domain-guid/--gpo-dc (over fleet.yml's gpo:)

    def __post_init__(self) -> None:
        if isinstance(self.forcelist_slot, bool) or not 1 <= int(self.forcelist_slot) <= MAX_FORCELIST_SLOT:
            raise ExportError(f"--forcelist-slot must be 1..{MAX_FORCELIST_SLOT}, not {self.forcelist_slot}")


@dataclass(frozen=True)
class Artifact:
    """One file to write, relative to the practice's folder (``/``-separated). ``remove``: instead,
    delete a file an earlier export may have left there (e.g. a script that embedded the token)."""

    path: str
    data: bytes
    format: str
    contains_token: bool
    remove: bool = False


@dataclass(frozen=True)
class PracticeContext:
    """Everything a format may use for one practice."""

    practice: Practice
    policy: PracticePolicy
    options: ExportOptions
    msp_name: str = ""
    generator: str = f"fleet {__version__}"
    created: str = "1970-01-01T00:00:00"  # export time, UTC, set by the runner
    #: the practice's policy for machines of a join state (fleet.policy.practice_policy, strict=False);
    #: None: every join state gets ``policy`` (tests that build a context by hand)
    policy_factory: Callable[[str | None], PracticePolicy] | None = field(default=None, compare=False, repr=False)
    gpo_domain: GpoDomain | None = None
    _cache: dict[tuple[str, str | None], Any] = field(default_factory=dict, compare=False, repr=False)
    _notes: list[str] = field(default_factory=list, compare=False, repr=False)

    def memo(self, what: str, join: str | None, make: Callable[[], T]) -> T:
        """``make()``, computed once per practice and export (per join state): policies, registry
        values, Registry.pol bytes. ``what`` names one kind of value, so it always has one type."""
        key = (what, join)
        if key not in self._cache:
            self._cache[key] = make()
        value: T = self._cache[key]
        return value

    def policy_for(self, join: str | None) -> PracticePolicy:
        """The policy for the machines an artifact targets: ``managed`` (GPO, MDM), ``domain``,
        ``entra``, ``workgroup``, ``unknown`` or None (not Windows). A browser that cannot be covered
        there is left out and named in ``uncovered`` (and in the export's notes, see :meth:`note`)."""
        return self.memo("policy", join,
                         lambda: self.policy if self.policy_factory is None else self.policy_factory(join))

    @property
    def join(self) -> str:
        """The join state a practice-wide file (LGPO registry.pol, .reg) is written for: the
        practice's ``fleet_join``; when unset, the one all its Windows workstations state (host
        vars); else ``unknown``."""
        try:
            said = join_state(self.practice.vars)
        except FleetError:
            said = UNKNOWN_JOIN
        if said != UNKNOWN_JOIN:
            return said
        joins = set(self.windows_joins())
        return joins.pop() if len(joins) == 1 else UNKNOWN_JOIN

    def windows_joins(self) -> dict[str, tuple[str, ...]]:
        """The practice's Windows workstations that carry the extension (present, PMS used), by
        join state: each host's own ``fleet_join`` over the practice's, ``unknown`` where neither
        says (or the value is bad: validation reports it)."""
        def joins() -> dict[str, tuple[str, ...]]:
            out: dict[str, list[str]] = {}
            for h in self.practice.hosts:
                if h.platform != "windows" or h.role != "workstation" or not h.uses_pms:
                    continue
                hc = lenient_host_context(h, self.practice)
                if hc.state != ABSENT:
                    out.setdefault(hc.join or UNKNOWN_JOIN, []).append(h.name)
            return {j: tuple(names) for j, names in sorted(out.items())}

        return self.memo("windows_joins", None, joins)

    def note(self, text: str) -> None:
        """Say what an artifact cannot cover (shown on stderr and kept in the manifest)."""
        if text not in self._notes:
            self._notes.append(text)

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    @property
    def practice_id(self) -> str:
        return self.policy.practice_id

    @property
    def client_id(self) -> str:
        return self.policy.client_id

    @property
    def token(self) -> str:
        """The practice's token, read from the policy model (never passed around separately)."""
        for ext in self.policy.extensions:
            return str(ext.managed[ext.token_field])
        raise ExportError(f"practice {self.practice_id} has no browser to configure (fleet_browsers)")

    @property
    def gpo_name(self) -> str:
        return f"fleet - {self.practice_id}"

    def stable_uuid(self, what: str) -> uuid.UUID:
        """A UUID that stays the same across exports of this practice (diff-friendly artifacts)."""
        return uuid.uuid5(FLEET_UUID_NAMESPACE, f"{self.client_id}/{self.practice_id}/{what}")

    def registry_values(self, join: str | None = None) -> list[RegistryValue]:
        """The registry values for machines of ``join`` (see :meth:`policy_for`) with the export's
        forcelist slot (cached per practice and join state)."""
        return self.memo("registry", join,
                         lambda: self.policy_for(join).registry_values(self.options.forcelist_slot))


def value_kind(value: RegistryValue) -> str:
    """.NET RegistryValueKind / Set-GPRegistryValue -Type for a model value."""
    return {REG_SZ: "String", REG_DWORD: "DWord"}[value.type]
