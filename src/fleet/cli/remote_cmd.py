"""`fleet remote`: run a deploy or a health sweep through a site-local execution node (over SSH)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import F, emit, note, output_options

if TYPE_CHECKING:
    from fleet.remote.node import ExecutionNode

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}


def _node_options(func: F) -> F:
    """Add --via / --runner / --ssh-config / --ssh-option (how to reach the execution node)."""
    func = click.option("--ssh-option", "ssh_options", multiple=True, metavar="NAME=VALUE",
                        help="Extra `ssh -o` option for reaching the node (repeatable).")(func)
    func = click.option("--ssh-config", type=click.Path(dir_okay=False), metavar="FILE",
                        help="ssh_config file for reaching the node (ssh -F).")(func)
    func = click.option("--runner", metavar="PATH",
                        help="ansible-runner on the node (default: remote.nodes.NAME.runner, else on its PATH).")(func)
    return click.option("--via", required=True, metavar="NODE",
                        help="The execution node: a name from fleet.yml's remote.nodes, or [user@]host.")(func)


def _node(app: AppContext, via: str, runner: str | None, ssh_config: str | None,
          ssh_options: tuple[str, ...]) -> ExecutionNode:
    from fleet.remote import resolve_node

    config = None
    try:
        config = app.ws.config_path
    except Exception:  # no workspace: a plain ssh destination still works for `check`
        config = None
    return resolve_node(via, config, runner=runner, ssh_config=ssh_config, ssh_options=ssh_options)


@click.group()
def remote() -> None:
    """Hand a deploy or a health sweep to an execution node at the site (behind NAT).

    \b
    The controller opens one SSH connection to the node and streams the job to
    `ansible-runner worker` there (ansible-runner transmit | ssh NODE worker | process, as AWX's
    mesh does); events come back as they happen and results are judged and stored here. The node
    needs fleet and ansible-runner installed (see docs/awx.md, "Sites behind NAT"). Nothing of the
    job stays on the node: its directory, with the vault password file, is deleted when the job ends.

    \b
    Examples:
      fleet remote check --via msp@10.20.0.5
      fleet remote deploy --via lakeside --practice lakeside_main --check
      fleet remote health --via lakeside --client lakeside
    """


@remote.command("check")
@_node_options
@output_options
@pass_app
def check(app: AppContext, via: str, runner: str | None, ssh_config: str | None, ssh_options: tuple[str, ...],
          fmt: str) -> None:
    """Can the node run jobs? Its ansible-runner, CPU, memory, fleet and ansible-core versions.

    \b
    Example:
      fleet remote check --via msp@10.20.0.5 --runner /opt/fleet/bin/ansible-runner
    """
    from fleet.remote import check_node

    node = _node(app, via, runner, ssh_config, ssh_options)
    info = check_node(node)
    rows = [{"node": node.name, "runner": info.get("runner_version", "?"), "fleet": info.get("fleet", "?"),
             "ansible_core": info.get("ansible_core", "?"), "cpus": info.get("cpu_count", "?"),
             "memory_gb": round(int(info.get("mem_in_bytes") or 0) / 2**30, 1)}]
    emit(rows, ["node", "runner", "fleet", "ansible_core", "cpus", "memory_gb"], fmt, json_doc={"node": node.name,
                                                                                                 **info})
    note(f"{node.name}: ready", fg="green")


@remote.command("deploy", context_settings=PASS_THROUGH)
@_node_options
@click.argument("deploy_args", nargs=-1, type=click.UNPROCESSED)
@pass_app
@click.pass_context
def deploy(ctx: click.Context, app: AppContext, via: str, runner: str | None, ssh_config: str | None,
           ssh_options: tuple[str, ...], deploy_args: tuple[str, ...]) -> None:
    """`fleet deploy` with its Ansible run on the node; every `fleet deploy` option applies.

    Selection, readiness, the vault, the plans, canary/serial batches and the store stay here;
    each batch's playbook run happens on the node, which reaches the practice's hosts. This
    controller does not reach them, so there is no pre-collection: every selected host goes to
    Ansible (as `fleet deploy --full`).

    \b
    Examples:
      fleet remote deploy --via lakeside --practice lakeside_main --check --diff
      fleet remote deploy --via msp@10.20.0.5 --client lakeside --canary 2 --yes
    """
    from fleet.remote.deploy import deploy_via

    deploy_command = _sibling(ctx, "deploy")

    node = _node(app, via, runner, ssh_config, ssh_options)
    note(f"deploying through the execution node {node.name}")
    if "--full" not in deploy_args:  # collecting the hosts from here would reach past the node (or fail)
        deploy_args = (*deploy_args, "--full")
    with deploy_via(node), deploy_command.make_context("fleet remote deploy", list(deploy_args), parent=ctx) as sub:
        deploy_command.invoke(sub)


@remote.command("health", context_settings=PASS_THROUGH)
@_node_options
@click.argument("health_args", nargs=-1, type=click.UNPROCESSED)
@pass_app
@click.pass_context
def health(ctx: click.Context, app: AppContext, via: str, runner: str | None, ssh_config: str | None,
           ssh_options: tuple[str, ...], health_args: tuple[str, ...]) -> None:
    """`fleet health` with the collection done by the node; every `fleet health` option applies.

    The node runs the collector on each host (Linux/macOS over SSH) and streams the answers back;
    judging, the store, the summary and the Nagios exit code are the local sweep's. Windows hosts
    are UNKNOWN through a node (sweep them from a controller that reaches them).

    \b
    Examples:
      fleet remote health --via lakeside --client lakeside
      fleet remote health --via msp@10.20.0.5 --forks 20 --json
    """
    from fleet.remote.health import sweep_via

    health_command = _sibling(ctx, "health")

    node = _node(app, via, runner, ssh_config, ssh_options)
    note(f"collecting through the execution node {node.name}")
    with sweep_via(node) as made, health_command.make_context("fleet remote health", list(health_args),
                                                              parent=ctx) as sub:
        try:
            health_command.invoke(sub)
        finally:
            for s in made:
                r = s.remote_result
                if r is not None and r.status not in ("successful",):
                    note(f"the node's run ended {r.status}: {r.explanation}", fg="red")


def _sibling(ctx: click.Context, name: str) -> click.Command:
    """fleet's own ``name`` command, through the root group (command modules never import each other)."""
    root = ctx.find_root()
    command = root.command.get_command(root, name) if isinstance(root.command, click.Group) else None
    if command is None:  # pragma: no cover - both are part of fleet itself
        raise click.UsageError(f"fleet has no {name} command here")
    return command
