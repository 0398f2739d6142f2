"""fleet.interrupts: stop signals with real signals sent to this process. A step run under
``deferred`` is never cut in two: the signal waits for its end, then stops the run as usual."""

from __future__ import annotations

import signal

import pytest

from fleet.interrupts import deferred, stop_requested, stop_signals_interrupt


def test_a_signal_inside_a_deferred_step_lets_the_step_finish_then_interrupts() -> None:
    done: list[str] = []
    with stop_signals_interrupt(), pytest.raises(KeyboardInterrupt):
        with deferred():
            signal.raise_signal(signal.SIGTERM)
            done.append("after the signal")  # still inside the step: not cut short
        done.append("after the step")  # never reached: the step's end raised
    assert done == ["after the signal"]


def test_the_closing_step_only_notes_the_signal() -> None:
    with stop_signals_interrupt():
        with deferred(hand_on=False):
            signal.raise_signal(signal.SIGHUP)
        assert stop_requested()  # the CLI reads this: "stopped as the run was finishing", exit 130
    assert not stop_requested()  # (forgotten with the run)


def test_steps_nest_and_the_outer_closing_step_has_the_last_word() -> None:
    with stop_signals_interrupt():
        with deferred(hand_on=False), deferred():  # the inner step hands it to the outer, which notes it
            signal.raise_signal(signal.SIGINT)
        assert stop_requested()


def test_outside_fleets_handler_the_signal_goes_to_the_handler_in_force() -> None:
    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own Ctrl-C
    seen: list[int] = []
    old_term = signal.signal(signal.SIGTERM, lambda signum, _frame: seen.append(signum))
    try:
        with pytest.raises(KeyboardInterrupt), deferred(hand_on=False):  # not fleet's: handed on all the same
            signal.raise_signal(signal.SIGINT)
        with deferred():
            signal.raise_signal(signal.SIGTERM)
            assert seen == []
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


def test_a_signal_ignored_by_whoever_started_fleet_stays_ignored() -> None:
    """``nohup fleet deploy --yes &``: nohup ignores SIGHUP so the deploy outlives the terminal;
    fleet's stop handler used to take SIGHUP back, and closing the terminal stopped the deploy."""
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_signals_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            signal.raise_signal(signal.SIGHUP)  # the terminal closed: nothing happens
            assert not stop_requested()
            with pytest.raises(KeyboardInterrupt):  # SIGTERM still stops it
                signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)


def test_a_deferred_step_without_a_signal_changes_nothing_and_restores_the_handlers() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with stop_signals_interrupt():
        inside = {s: signal.getsignal(s) for s in before}
        with deferred():
            pass
        assert {s: signal.getsignal(s) for s in before} == inside
        assert not stop_requested()
    assert {s: signal.getsignal(s) for s in before} == before
