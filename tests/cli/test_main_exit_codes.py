"""fleet's entry point: Ctrl-C exits 130 with a message (not Click's 'Aborted!' exit 1), a declined
prompt exits 1, an unexpected exception exits 70 with no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

HARNESS = textwrap.dedent(
    """
    import sys, time, click
    from fleet.cli.main import cli, main

    @cli.command()
    def sleepy():
        print("ready", flush=True)
        time.sleep(60)

    @cli.command()
    def declined():
        click.confirm("go on?", abort=True)

    @cli.command()
    def broken():
        raise RuntimeError("boom")

    sys.argv = ["fleet", *sys.argv[1:]]
    main()
    """
)


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HARNESS, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def test_ctrl_c_exits_130_with_a_message() -> None:
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, "sleepy"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Aborted!" not in err
    assert "Traceback" not in err


def test_declined_confirmation_exits_1_not_130() -> None:
    res = _run("declined", stdin="n\n")
    assert res.returncode == 1, res.stderr
    assert "Aborted" in res.stderr
    assert "interrupted" not in res.stderr


def test_internal_error_exits_70_without_traceback() -> None:
    res = _run("broken")
    assert res.returncode == 70
    assert "internal error: RuntimeError: boom" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["no-such-command"], 2),
                                            (["catalog", "show", "no-such-system"], 1)])
def test_exit_codes(args: list[str], code: int) -> None:
    res = _run(*args)
    assert res.returncode == code, res.stderr
    assert "Traceback" not in res.stderr
