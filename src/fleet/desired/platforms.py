"""The tables every part of fleet shares: roles, platforms, host states, policy browsers and the
browser builds ("flavours") found on machines, with where each keeps its policy.

Nothing else in fleet spells these out: the plan, health's expectations and collector wire, the
export formats, validation and the lab all read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.config import EDGE_ADDONS_UPDATE_URL, WEB_STORE_UPDATE_URL

ROLES = ("workstation", "server")
PLATFORMS = ("windows", "macos", "linux")
PRESENT, ABSENT = "present", "absent"
STATES = (PRESENT, ABSENT)

# The browsers a practice's policy names (fleet_browsers) and where each keeps its policy.
REGISTRY_ROOT = {  # under HKLM
    "chrome": r"SOFTWARE\Policies\Google\Chrome",
    "edge": r"SOFTWARE\Policies\Microsoft\Edge",
}
POLICY_BROWSERS = tuple(REGISTRY_ROOT)
LINUX_POLICY_DIRS = {
    "chrome": ("/etc/opt/chrome/policies/managed", "/etc/chromium/policies/managed"),
    "edge": ("/etc/opt/edge/policies/managed",),
}
MACOS_DOMAIN = {"chrome": "com.google.Chrome", "edge": "com.microsoft.Edge"}
FORCELIST = "ExtensionInstallForcelist"

# How a Windows machine is joined (inventory var ``fleet_join``, host or practice level; also the
# health collector's ``join`` fact). Edge force-installs a Chrome Web Store build only on machines
# joined to AD or Entra ID (or MDM-enrolled); on a workgroup machine only Edge Add-ons builds install.
JOIN_VAR = "fleet_join"
DOMAIN, ENTRA, WORKGROUP = "domain", "entra", "workgroup"
JOIN_STATES = (DOMAIN, ENTRA, WORKGROUP)
UNKNOWN_JOIN = "unknown"  # a Windows host whose inventory does not say (fleet_join unset)
MANAGED = "managed"  # what an export targets when it reaches only managed machines (GPO, Intune MDM)


@dataclass(frozen=True)
class Flavor:
    """A browser build as found on a machine, and the policy browser ("chrome"/"edge") that covers it."""

    name: str
    manages: str
    policy: str  # Linux: managed policy dir; macOS: managed preferences domain path; Windows: HKLM key
    data: str  # user-data dir relative to a home (Windows: to %LOCALAPPDATA%)
    bins: tuple[str, ...]


def _flavors() -> dict[str, tuple[Flavor, ...]]:
    chrome_dir, chromium_dir = LINUX_POLICY_DIRS["chrome"]
    (edge_dir,) = LINUX_POLICY_DIRS["edge"]
    managed_prefs = "/Library/Managed Preferences/"
    mac_support = "Library/Application Support/"
    return {
        "linux": (
            Flavor("chrome", "chrome", chrome_dir, ".config/google-chrome",
                   ("/opt/google/chrome/chrome", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome")),
            Flavor("chromium", "chrome", chromium_dir, ".config/chromium",
                   ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")),
            Flavor("edge", "edge", edge_dir, ".config/microsoft-edge",
                   ("/opt/microsoft/msedge/msedge", "/usr/bin/microsoft-edge-stable", "/usr/bin/microsoft-edge")),
        ),
        "macos": (
            Flavor("chrome", "chrome", managed_prefs + MACOS_DOMAIN["chrome"], mac_support + "Google/Chrome",
                   ("/Applications/Google Chrome.app",)),
            Flavor("edge", "edge", managed_prefs + MACOS_DOMAIN["edge"], mac_support + "Microsoft Edge",
                   ("/Applications/Microsoft Edge.app",)),
        ),
        "windows": (
            Flavor("chrome", "chrome", REGISTRY_ROOT["chrome"], r"Google\Chrome\User Data",
                   (r"C:\Program Files\Google\Chrome\Application\chrome.exe",
                    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe")),
            Flavor("edge", "edge", REGISTRY_ROOT["edge"], r"Microsoft\Edge\User Data",
                   (r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
                    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe")),
        ),
    }


FLAVORS = _flavors()


def flavor(platform: str, name: str) -> Flavor:
    """One flavour of a platform by name (KeyError if unknown)."""
    return next(f for f in FLAVORS[platform] if f.name == name)


def web_store(update_url: str) -> bool:
    """True when the update URL is the Chrome Web Store's."""
    return update_url.rstrip("/") == WEB_STORE_UPDATE_URL


def edge_addons(update_url: str) -> bool:
    """True when the update URL is the Edge Add-ons site's."""
    return update_url.rstrip("/") == EDGE_ADDONS_UPDATE_URL
