"""fleet: deploy and health-check practice Synchronizers and browser extension policy for MSPs."""

__version__ = "0.1.0"
