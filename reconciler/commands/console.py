"""Terminal behaviour shared by commands: colour, the `-v` HTTP log, progress bars, prompts.

Colour only when stdout is a terminal and neither --no-color nor NO_COLOR says otherwise.
Progress bars go to stderr, only when stderr is a terminal and colour is allowed there, so pipes,
CI logs and --no-color output hold no escape codes at all.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich and the HTTP layer load only when a bar is drawn or -v is given (start-up time)
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from reconciler.apply.report import ApplyReport, BucketOutcome
    from reconciler.errors import ProviderError


def color_enabled(
    args: argparse.Namespace, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    environ = os.environ if environ is None else environ
    stream = sys.stdout if stream is None else stream
    if getattr(args, "no_color", False) or environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def progress_bar(args: argparse.Namespace, description: str) -> ProgressBar:
    """The command's progress bar: drawn with escape codes, so only where colour is allowed on stderr."""
    return ProgressBar(description, enabled=color_enabled(args, sys.stderr))


def enable_verbose(args: argparse.Namespace) -> None:
    """`-v`: the redacted HTTP log (logger `reconciler.http`) on stderr."""
    if getattr(args, "verbose", False):
        from reconciler.providers.http import enable_debug_log

        enable_debug_log(sys.stderr)


def interactive() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, stream: TextIO) -> bool:
    """Ask on a terminal; only the exact answer `yes` counts."""
    stream.write(f"\n{question} ")
    stream.flush()
    answer = sys.stdin.readline()
    stream.write("\n")
    return answer.strip() == "yes"


class ProgressBar:
    """A transient bar on stderr for bucket reads (ReadProgress) and writes (ApplyHook).

    Shown only when stderr is a terminal and `enabled` (see `progress_bar`), and only once a
    phase has lasted `delay` seconds, so quick runs print no bar at all.
    """

    def __init__(
        self, description: str, *, enabled: bool = True, stream: TextIO | None = None, delay: float = 0.5
    ) -> None:
        self.description = description
        self._stream = stream
        self.delay = delay
        self._allowed = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase: tuple[str, int, float] | None = None  # description, total, start
        self._done = 0

    @functools.cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(file=self._stream or sys.stderr)

    @property
    def enabled(self) -> bool:
        return self._allowed and self.console.is_terminal

    def _start(self, total: int, description: str) -> None:
        self._stop()
        if self.enabled and total > 0:
            self._phase = (description, total, time.monotonic())
            self._done = 0

    def _advance(self) -> None:
        if self._phase is None:
            return
        self._done += 1
        if self._progress is None and time.monotonic() - self._phase[2] >= self.delay:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            description, total, _ = self._phase
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
                # stdout on the same terminal goes above the bar; stdout to a file is left alone
                redirect_stdout=sys.stdout.isatty(),
                redirect_stderr=False,
            )
            self._task = self._progress.add_task(description, total=total, completed=self._done - 1)
            self._progress.start()
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def _stop(self) -> None:
        self._phase = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = self._task = None

    # ReadProgress
    def read_started(self, total: int) -> None:
        self._start(total, f"{self.description}: reading")

    def bucket_read(self, address: str, error: ProviderError | None) -> None:
        self._advance()

    def read_finished(self) -> None:
        self._stop()

    # ApplyHook
    def writes_started(self, total: int) -> None:
        self._start(total, f"{self.description}: writing")

    def pre_bucket(self, address: str) -> None:
        pass

    def post_bucket(self, outcome: BucketOutcome) -> None:
        self._advance()

    def apply_finished(self, report: ApplyReport) -> None:
        self._stop()
