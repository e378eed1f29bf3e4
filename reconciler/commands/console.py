"""Terminal behaviour shared by commands: the one output object, colour, progress, the `-v` HTTP
log, prompts.

Colour is decided once, here, per stream (`color_decision`), in this order:
  1. `--no-color` → none;  2. NO_COLOR set and not empty → none;
  3. FORCE_COLOR set and not empty → colour, even in a pipe or CI log (force-color.org);
  4. TERM=dumb → none;     5. otherwise colour only on a terminal.
Every colour is drawn by rich, through `Output` (text renderers build rich `Text` lines).

Progress goes to stderr. A bar only where it can be drawn: stderr a terminal that is not dumb and
colour allowed there (so `--no-color` and NO_COLOR output hold no escape code at all). Everywhere
else (CI logs, pipes, --no-color) a heartbeat line every `--heartbeat` seconds while buckets are
read or written, so a long run is never silent.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from reconciler.apply.report import ApplyReport, BucketOutcome
from reconciler.commands.options import DEFAULT_HEARTBEAT, Display
from reconciler.errors import ProviderError
from reconciler.providers.http import enable_debug_log


def color_decision(no_color: bool, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether `stream` gets colour: the one place that decides (see the module doc)."""
    if no_color or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def can_draw(stream: TextIO, color: bool, environ: Mapping[str, str]) -> bool:
    """A live bar (cursor movement) only on a real, non-dumb terminal that allows colour."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return color and terminal and environ.get("TERM") != "dumb"


def rich_console(stream: TextIO, *, color: bool) -> Console:
    """A rich console whose colour is ours to decide: rich reads no variable of its own here."""
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=True,
        _environ={},
    )


class Output:
    """The one output object of a command: stdout and stderr, their colour, progress reporting."""

    def __init__(
        self,
        *,
        color: bool = False,
        stderr_color: bool = False,
        draw_progress: bool = False,
        heartbeat: float = DEFAULT_HEARTBEAT,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.color = color
        self.stderr_color = stderr_color
        self.draw_progress = draw_progress
        self.heartbeat = heartbeat

    @classmethod
    def for_args(cls, args: Display, environ: Mapping[str, str] | None = None) -> Output:
        """From a command's options: `--no-color`, and `--heartbeat` where the command has it."""
        environ = os.environ if environ is None else environ
        no_color = args.no_color
        stdout, stderr = sys.stdout, sys.stderr
        stderr_color = color_decision(no_color, stderr, environ)
        return cls(
            color=color_decision(no_color, stdout, environ),
            stderr_color=stderr_color,
            draw_progress=can_draw(stderr, stderr_color, environ),
            heartbeat=_heartbeat(args),
            stdout=stdout,
            stderr=stderr,
        )

    def render(self, lines: list[Text]) -> str:
        from reconciler.render.text import render_lines

        return render_lines(lines, color=self.color)

    def write(self, text: str) -> None:
        self.stdout.write(text)

    def print_lines(self, lines: list[Text]) -> None:
        self.stdout.write(self.render(lines))

    def warn(self, message: str | None) -> None:
        """`Warning: …` on stderr (yellow where stderr takes colour); nothing for None."""
        if message is None:
            return
        from reconciler.render.text import render_lines

        self.stderr.write(render_lines([Text.assemble(("Warning: ", "bold yellow"), message)], color=self.stderr_color))

    def progress(self, description: str) -> ProgressReporter:
        """The command's progress reporter (ReadProgress and ApplyHook): a bar, heartbeat lines, or
        nothing (`--heartbeat 0` where no bar can be drawn)."""
        if self.draw_progress:
            return ProgressBar(description, enabled=True, stream=self.stderr)
        if self.heartbeat > 0:
            return Heartbeat(description, interval=self.heartbeat, stream=self.stderr)
        return Quiet(description)


def _heartbeat(args: Display) -> float:
    """`--heartbeat` of the commands that read live buckets (LiveRead); the default for the others."""
    seconds = getattr(args, "heartbeat", None)
    return DEFAULT_HEARTBEAT if seconds is None else float(seconds)


def enable_verbose(args: Display) -> None:
    """`-v`: the redacted HTTP log (logger `reconciler.http`) on stderr."""
    if args.verbose:
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


class _Phases:
    """Reading, then writing: the ReadProgress and ApplyHook calls mapped to start/advance/stop."""

    description: str

    def _start(self, total: int, description: str) -> None:
        raise NotImplementedError

    def _advance(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

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

    def close(self) -> None:
        """Stop whatever is shown (a phase cut short by an error or Ctrl-C included)."""
        self._stop()


class Quiet(_Phases):
    """Reports nothing."""

    def __init__(self, description: str = "") -> None:
        self.description = description

    def _start(self, total: int, description: str) -> None:
        pass

    def _advance(self) -> None:
        pass

    def _stop(self) -> None:
        pass


class Heartbeat(_Phases):
    """A line on stderr every `interval` seconds while a phase lasts, for logs that draw no bar:
    `plan: reading: 120 of 5000 buckets done, 30s elapsed`. Quick phases print nothing."""

    def __init__(
        self,
        description: str,
        *,
        interval: float = DEFAULT_HEARTBEAT,
        stream: TextIO | None = None,
        clock: object = time.monotonic,
    ) -> None:
        self.description = description
        self.interval = interval
        self.stream = stream or sys.stderr
        self._clock = clock
        self._lock = threading.Lock()
        self._phase: tuple[str, int, float] | None = None  # description, total, start
        self._done = 0
        self._stopped: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def line(self) -> str | None:
        """The heartbeat line for now; None outside a phase."""
        with self._lock:
            if self._phase is None:
                return None
            description, total, start = self._phase
            done = self._done
        elapsed = self._clock() - start  # type: ignore[operator]
        return f"{description}: {done} of {total} bucket{'s' if total != 1 else ''} done, {elapsed:.0f}s elapsed"

    def _beat(self, stopped: threading.Event) -> None:
        while not stopped.wait(self.interval):
            text = self.line()
            if text is None:
                return
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed under us: stay quiet
                return

    def _start(self, total: int, description: str) -> None:
        self._stop()
        if total <= 0:
            return
        with self._lock:
            self._phase = (description, total, self._clock())  # type: ignore[operator]
            self._done = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(self._stopped,), name="heartbeat", daemon=True)
        self._thread.start()

    def _advance(self) -> None:
        with self._lock:
            self._done += 1

    def _stop(self) -> None:
        with self._lock:
            self._phase = None
        if self._stopped is not None:
            self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._stopped = self._thread = None


class ProgressBar(_Phases):
    """A transient bar on stderr for bucket reads (ReadProgress) and writes (ApplyHook).

    Shown only when stderr is a terminal and `enabled` (see `Output.progress`), and only once a
    phase has lasted `delay` seconds (even while no bucket has finished: a slow endpoint), so
    quick runs print no bar at all.
    """

    def __init__(
        self, description: str, *, enabled: bool = True, stream: TextIO | None = None, delay: float = 0.5
    ) -> None:
        self.description = description
        self.console = rich_console(stream or sys.stderr, color=True)
        self.delay = delay
        self._allowed = enabled
        self._lock = threading.RLock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase: tuple[str, int] | None = None  # description, total
        self._done = 0
        self._timer: threading.Timer | None = None

    @property
    def enabled(self) -> bool:
        return self._allowed and self.console.file.isatty()

    def _start(self, total: int, description: str) -> None:
        self._stop()
        if self.enabled and total > 0:
            with self._lock:
                self._phase = (description, total)
                self._done = 0
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()

    def _show(self) -> None:
        with self._lock:
            if self._phase is None or self._progress is not None:
                return
            description, total = self._phase
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
            self._task = self._progress.add_task(description, total=total, completed=self._done)
            self._progress.start()

    def _advance(self) -> None:
        with self._lock:
            if self._phase is None:
                return
            self._done += 1
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._lock:
            self._phase = None
            if self._progress is not None:
                self._progress.stop()
                self._progress = self._task = None


ProgressReporter = ProgressBar | Heartbeat | Quiet
