"""The MSP inventory: clients -> practices -> hosts, as Ansible YAML, and everything that edits or judges it.

- ``model``: loading the inventory files into typed clients, practices and hosts (errors name file:line),
  and the one host selection every command uses (``Inventory.select_hosts``);
- ``validate``: readiness, per practice, before anything touches a machine (``fleet inventory validate``);
- ``rmm_import``: adding hosts from an RMM device export (``fleet inventory import``);
- ``join``: each Windows host's join state, as the inventory says and as the sweep saw it.
"""
