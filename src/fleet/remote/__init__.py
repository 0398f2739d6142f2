"""Beyond one controller: hand a deploy or a health sweep to a site-local execution node.

``ansible-runner transmit | ssh NODE ansible-runner worker | ansible-runner process`` (the
mechanism AWX's receptor mesh uses), with fleet's job layout and clean-up around it:

    from fleet.remote import RemoteJob, RemoteRun, resolve_node
    node = resolve_node("msp@10.20.0.5", ws.config_path, runner="/opt/fleet/bin/ansible-runner")
    run = RemoteRun(node, job, run_dir); run.start(); ...; run.wait()

- ``node``: ``ExecutionNode`` (how to reach the node and start the worker), ``fleet.yml``'s
  ``remote.nodes``.
- ``stream``: ``RemoteRun``, a drop-in for ``fleet.deploy.runner.PlaybookRun`` (same events).
- ``health``: ``RemoteSweep``, the health sweep collected through a node, judged here.
- ``deploy``: ``fleet deploy`` through a node (the deploy engine's plan, batches and store).
"""

from fleet.remote.node import ExecutionNode, RemoteError, load_nodes, resolve_node
from fleet.remote.stream import RemoteJob, RemoteResult, RemoteRun, check_node

__all__ = [
    "ExecutionNode",
    "RemoteError",
    "RemoteJob",
    "RemoteResult",
    "RemoteRun",
    "check_node",
    "load_nodes",
    "resolve_node",
]
