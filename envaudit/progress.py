"""Progress of a many-target run, on stderr: live on a terminal, one line per target in a CI log.

``--progress live`` (what ``auto`` picks on a terminal) shows a bar with the counts done, failed
and running, and names the targets that have been running longest: at fleet size, the one host
that hangs is what a person is waiting for. ``--progress plain`` writes one line as each target
finishes (``[12/200] ok web-12 1.3 s``), for logs that keep every line. Target names are data:
never markup, never a control sequence.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, TextIO

from envaudit.textsafe import one_line

if TYPE_CHECKING:
    from envaudit.targets import TargetSpec
    from envaudit.verbs.common import ScanOptions, TargetResult

SLOWEST = 3  # running targets named on the live line


class ProgressMode(StrEnum):
    AUTO = "auto"  # live on an interactive terminal with several targets; nothing otherwise
    LIVE = "live"
    PLAIN = "plain"
    NONE = "none"


class Tracker:
    """Counts targets as they start and finish; thread-safe (workers report from their threads)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        # id of the target's spec (two targets may share a name) -> its name and when it started
        self.running: dict[int, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def started(self, spec: TargetSpec) -> None:
        with self.lock:
            self.running[id(spec)] = (spec.name, time.monotonic())

    def finished(self, result: TargetResult) -> float:
        """Count ``result``; how long its target ran (0 if its start was not seen)."""
        with self.lock:
            began = self.running.pop(id(result.spec), None)
            self.done += 1
            self.failed += result.error is not None
            return time.monotonic() - began[1] if began is not None else 0.0

    def slowest(self, count: int = SLOWEST) -> list[tuple[str, float]]:
        now = time.monotonic()
        with self.lock:
            ordered = sorted(self.running.values(), key=lambda item: item[1])[:count]
        return [(name, now - began) for name, began in ordered]


def plain_line(tracker: Tracker, result: TargetResult, seconds: float) -> str:
    width = len(str(tracker.total))
    where = f"[{tracker.done:>{width}}/{tracker.total}]"
    if result.error is not None:
        return one_line(f"{where} FAILED {result.spec.name} ({seconds:.1f} s): {result.error}")
    snapshot = result.snapshot
    count = f", {len(snapshot.distributions)} distributions" if snapshot is not None else ""
    return one_line(f"{where} ok {result.spec.name} ({seconds:.1f} s{count})")


def live_text(tracker: Tracker) -> str:
    with tracker.lock:
        done, failed, running = tracker.done, tracker.failed, len(tracker.running)
    text = f"{done - failed} done · {failed} failed · {running} running"
    slow = tracker.slowest()
    if slow:
        text += " · slowest: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in slow)
    return one_line(text)


@contextlib.contextmanager
def reporting(
    options: ScanOptions, total: int, mode: ProgressMode, stream: TextIO | None = None
) -> Iterator[ScanOptions]:
    """``options`` with progress reporting on ``stream`` (stderr) in ``mode``, for the run inside."""
    stream = stream or sys.stderr
    if mode is ProgressMode.AUTO:
        mode = ProgressMode.LIVE if total >= 2 and stream.isatty() else ProgressMode.NONE
    if mode is ProgressMode.NONE or total < 1:
        yield options
        return
    tracker = Tracker(total)
    if mode is ProgressMode.PLAIN:

        def line(result: TargetResult) -> None:
            seconds = tracker.finished(result)
            with tracker.lock:  # lines whole, in the order targets finish
                print(plain_line(tracker, result, seconds), file=stream, flush=True)

        yield replace(options, progress=line, started=tracker.started)
        return
    yield from _live(options, tracker, stream)


def _live(options: ScanOptions, tracker: Tracker, stream: TextIO) -> Iterator[ScanOptions]:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(file=stream, force_terminal=True),
        transient=True,
        refresh_per_second=4,
    ) as bar:
        task = bar.add_task("", total=tracker.total)
        stop = threading.Event()

        def refresh() -> None:  # the running targets' times grow while nothing finishes
            while not stop.wait(0.5):
                bar.update(task, description=escape(live_text(tracker)))

        ticker = threading.Thread(target=refresh, daemon=True)
        ticker.start()

        def finished(result: TargetResult) -> None:
            tracker.finished(result)
            bar.update(task, advance=1, description=escape(live_text(tracker)))

        try:
            yield replace(options, progress=finished, started=tracker.started)
        finally:
            stop.set()
            ticker.join()
