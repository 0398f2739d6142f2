"""Stop signals that cannot be lost: Ctrl-C, SIGTERM and SIGHUP stop a run the same way.

Python delivers a signal handler's exception wherever the main thread happens to be. If that is a
weakref callback or a ``__del__`` (SQLAlchemy registers such callbacks; the garbage collector
runs them at any allocation), the interpreter prints "Exception ignored in ..." and drops the
exception: the run goes on as if nothing had been asked. So the first signal is also recorded
here, the loops that wait on Ansible or on collectors call :func:`raise_if_requested` on every
turn, and a dropped KeyboardInterrupt is not printed (the flag carries it).

A store write and the bookkeeping that goes with it must not be cut in two either (a result
committed but not marked as recorded is written again, and the store refuses the duplicate), so
such steps run under :func:`deferred`: a signal arriving there is handed on when the step is done.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_requested: list[int] = []
_own_handlers: list[Callable[[int, Any], None]] = []  # stop_signals_interrupt's, while in force


def stop_requested() -> bool:
    """A stop signal arrived while :func:`stop_signals_interrupt` was in force."""
    return bool(_requested)


def raise_if_requested() -> None:
    """Raise KeyboardInterrupt if a stop signal arrived (again, if its first delivery was dropped)."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def stop_signals_interrupt(on_repeat: Callable[[], None] | None = None) -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread and
    are remembered (:func:`raise_if_requested`). Only the first signal interrupts; later ones call
    ``on_repeat`` (say, "still stopping") and do not cut the clean-up short. A signal that whoever
    started fleet set to be ignored stays ignored (``nohup fleet deploy`` survives the terminal
    closing; a shell's ``fleet ... &`` ignores Ctrl-C). Outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if _requested:
            if on_repeat is not None:
                with contextlib.suppress(Exception):  # a note must never break the clean-up
                    on_repeat()
            return
        _requested.append(signum)
        raise KeyboardInterrupt

    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if _requested and isinstance(info.exc_value, KeyboardInterrupt):
            return  # our own interrupt, dropped by a callback: raise_if_requested raises it again
        previous_hook(info)

    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    sys.unraisablehook = unraisable
    _own_handlers.append(handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sys.unraisablehook = previous_hook
        _own_handlers.remove(handler)
        _requested.clear()


@contextmanager
def deferred(hand_on: bool = True) -> Iterator[None]:
    """Within the block, a stop signal (SIGINT, SIGTERM, SIGHUP) is only noted. When the block is
    done it goes to the handler that was in force, as if it arrived then (under
    :func:`stop_signals_interrupt`: remembered, and KeyboardInterrupt raised). With
    ``hand_on=False`` fleet's own stop handler is not called: the signal is only remembered
    (:func:`stop_requested`), for the step that closes a run, which has nothing left to stop.
    Signals whose action ends the process (SIG_DFL, SIG_IGN) are left alone; outside the main
    thread nothing changes. Blocks nest: an inner block hands its signal to the outer one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {s: h for s in STOP_SIGNALS if callable(h := signal.getsignal(s))}
    for sig in old:
        signal.signal(sig, lambda signum, _frame: got.append(signum))
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
    if got:
        h = old[signal.Signals(got[0])]
        if not hand_on and h in _own_handlers:
            if not _requested:
                _requested.append(got[0])
            return
        h(got[0], None)
