"""What each change (or each thing that could not be compared) is about: its concern.

``fleet.desired.changes`` tags every change it reports with the concerns it touches, so one judge
serves both sides: ``fleet deploy`` acts on all of them, and each of health's compliance checks
is "no change of my concern is needed" (``fleet.health.evaluate``). A change may touch several
concerns (a missing policy file lacks the force-install entry, the token and the settings).
"""

from __future__ import annotations

from dataclasses import dataclass

# the extension's policy
FORCELIST = "forcelist"  # our force-install entry (slot, ID, update URL), earlier IDs gone, not shadowed
TOKEN = "token"  # the practice's token in our managed policy
SETTINGS = "settings"  # the other managed values (practice URL, org alias...)
# the Synchronizer
PRESENCE = "presence"  # the service is installed (or removed, for fleet_state: absent)
VERSION = "version"  # the version fleet.yml deploys
RUNNING = "running"
AUTOSTART = "autostart"
PRODUCT_KEY = "product_key"  # installed with the practice's current product key
RECORD = "record"  # fleet's own record of what it installed (no health check of its own)

EXTENSION = (FORCELIST, TOKEN, SETTINGS)
SYNCHRONIZER = (PRESENCE, VERSION, RUNNING, AUTOSTART, PRODUCT_KEY, RECORD)
ALL = EXTENSION + SYNCHRONIZER


@dataclass(frozen=True)
class Item:
    """One change (or one thing not verified) in words for people, and the concerns it touches."""

    text: str
    concerns: tuple[str, ...]

    def about(self, concern: str) -> bool:
        return concern in self.concerns
