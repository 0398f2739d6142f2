"""The MSP inventory: clients -> practices -> hosts, as Ansible YAML, and everything that edits or judges it.

- ``model``: loading the inventory files into typed clients, practices and hosts (errors name file:line),
  and the one host selection every command uses (``Inventory.select_hosts``);
- ``validate``: readiness, per practice, before anything touches a machine (``fleet inventory validate``);
- ``devices``: reading an RMM device export (CSV) into device rows;
- ``editor``: editing the client files in place, round-trip, verified, atomic;
- ``rmm_import``: adding and updating hosts from those rows (``fleet inventory import``);
- ``join``: each Windows host's join state, as the inventory says and as the sweep saw it.
"""
