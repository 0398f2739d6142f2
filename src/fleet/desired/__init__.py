"""The desired state: per host, what must be there, computed once from inventory + catalog +
fleet.yml + secret fingerprints.

- ``platforms``: the shared tables (roles, platforms, states, browsers and their policy places);
- ``context``: a host's fleet variables, resolved as Ansible resolves them (client < practice <
  host), read into one typed ``HostContext``. New per-host or per-practice inputs are added there;
- ``policy``: per practice, the browser policy (extension IDs, forcelist entry, managed values);
- ``plan``: per host, the deploy plan (extension policy to apply or remove, Synchronizer
  install/skip/remove) and the pure decisions wanted + seen -> changes.

Deploy's engine, the Ansible filter plugin, health's expectations, ``inventory validate``, the
export formats and the lab all read these; none re-derives them.
"""
