"""Secrets: the per-practice extension token or Synchronizer product key, and keeping them secret.

- ``vault``: ansible-vault encryption in-process and the vault password (file, script or prompt);
- ``store``: one vault per practice (``group_vars/practice_<id>/vault.yml``), fingerprints to compare;
- ``redact``: the second line of defence, known secrets removed from anything shown, logged or stored.
"""
