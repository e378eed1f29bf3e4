"""Command line: argument parsing, dispatch, and the one mapping from errors to exit codes.

Each command lives in `reconciler.commands.<verb>` as `run(options) -> int`, reached through the one
table in `reconciler.commands.dispatch`, which builds the command's typed options
(`reconciler.commands.options`) from the parsed arguments. Nothing here knows what a command does; nothing there
prints an uncaught error.

Exit codes: 0 success; 1 error (any ReconcilerError, bad usage); 2 changes or drift (plan with
--detailed-exitcode, drift); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from reconciler import __version__
from reconciler.commands.dispatch import run_command
from reconciler.commands.options import DEFAULT_HEARTBEAT
from reconciler.core.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED
from reconciler.errors import ConfigError, ReconcilerError

DEFAULT_STATE = os.path.join("state", "reconciler.state.json")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; 2 means "changes" here, so usage errors exit 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


_GLOBAL_FLAGS = {"no_color": "_global_no_color", "verbose": "_global_verbose"}


def _global(p: argparse.ArgumentParser) -> None:
    """--no-color and -v before the command too (`reconciler -v plan`); merged by parse_arguments."""
    p.add_argument("--no-color", dest=_GLOBAL_FLAGS["no_color"], action="store_true", help="never colour output")
    p.add_argument(
        "-v",
        "--verbose",
        dest=_GLOBAL_FLAGS["verbose"],
        action="store_true",
        help="log HTTP requests (redacted) on stderr and show tracebacks of errors",
    )


def _common(p: argparse.ArgumentParser, *, config: bool = True, state: bool = True, fmt: tuple[str, ...] = ()) -> None:
    if config:
        p.add_argument(
            "-c",
            "--config",
            action="append",
            metavar="PATH",
            help="configuration file or directory (repeatable; default ./notifications)",
        )
    if state:
        p.add_argument(
            "--state",
            default=os.environ.get("RECONCILER_STATE") or DEFAULT_STATE,
            metavar="LOCATION",
            help="state location: a file path, s3://BUCKET/KEY or postgresql://USER@HOST/DB "
            f"(default RECONCILER_STATE, else {DEFAULT_STATE})",
        )
    if fmt:
        p.add_argument("--format", choices=fmt, default="text", help="output format (default text)")
    p.add_argument(
        "--no-color",
        action="store_true",
        help="never colour output (NO_COLOR and TERM=dumb are honoured too; FORCE_COLOR colours a pipe)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log HTTP requests (redacted) and show tracebacks")


def _addresses(action: argparse.Action, source: str = "state") -> argparse.Action:
    """Shell completion offers addresses here (see `reconciler completion`): the state's (`state`),
    the configuration's (`config`) or both (`any`)."""
    from reconciler.commands import completion

    completers = {
        "state": completion.state_addresses,
        "config": completion.configured_addresses,
        "any": completion.any_address,
    }
    action.completer = completers[source]  # type: ignore[attr-defined]
    return action


def _targets(p: argparse.ArgumentParser) -> None:
    _addresses(
        p.add_argument(
            "--target",
            action="append",
            metavar="ADDR",
            help="limit to <provider>/<bucket> or <provider>/<bucket>/<rule-id> (repeatable)",
        ),
        "any",
    )
    _parallelism(p)
    p.add_argument(
        "--heartbeat",
        type=_duration,
        default=DEFAULT_HEARTBEAT,
        metavar="DURATION",
        help="where no progress bar can be drawn (CI logs, pipes, --no-color), print a progress line on stderr "
        "this often while buckets are read or written (default 30s; 0 for none)",
    )
    _timeouts(p)


def _parallelism(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--parallelism", type=_positive_int, default=10, metavar="N", help="concurrent requests (default 10)"
    )


def _timeouts(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=_positive_duration,
        metavar="DURATION",
        help="connect and read timeout of each request (e.g. 10s; default: the provider's timeout, else 10s "
        "to connect and 30s between bytes)",
    )
    p.add_argument(
        "--request-timeout",
        type=_positive_duration,
        metavar="DURATION",
        help="overall deadline of each request, retries included, after which that bucket fails and the others "
        "go on (e.g. 60s; default: the provider's timeout.request, else 60s)",
    )


def _refresh_only(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument(
        "--refresh-only",
        action="store_true",
        help=f"{verb} the state records of owned rules from live (owned rules gone live forgotten); "
        "no bucket is written, the configuration's rules are not applied",
    )


def _confirm_identity(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--confirm-identity",
        action="append",
        metavar="ADDR",
        help="<provider>/<bucket> or <provider>: it is the same bucket although its endpoint, zone/region or "
        "access key changed since the last apply, so its recorded rules stay owned (repeatable)",
    )


def _lock_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lock-timeout",
        type=_duration,
        default=0.0,
        metavar="DURATION",
        help="wait this long for the state lock (e.g. 30s, 2m; default: fail at once)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in ("ms", "s", "m", "h"):
        if text.endswith(suffix):
            number, factor = text[: -len(suffix)], units[suffix]
            break
    else:
        number, factor = text, 1.0
    try:
        value = float(number) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s or 2m") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _described(parser: argparse.ArgumentParser) -> None:
    """`reconciler COMMAND -h` opens with the line the command list shows, for every (sub)command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                sub = action.choices[choice.dest]
                sub.description = sub.description or f"{choice.help[0].upper()}{choice.help[1:]}."
                _described(sub)


def _positive_duration(text: str) -> float:
    value = _duration(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than zero")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reconciler",
        description="Declarative, ownership-aware management of bucket event-notification rules.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    _global(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("validate", help="check the configuration offline (schema and provider rules)")
    _common(p, state=False, fmt=("text", "json"))
    p.add_argument(
        "--state",
        metavar="LOCATION",
        help="also check this state against the configuration: it can be read, and every bucket it manages "
        "is still declared (else the next apply deletes that bucket's managed rules); without it validate "
        "reads nothing but the configuration (a remote state is read over the network)",
    )
    p.add_argument(
        "--expand",
        action="store_true",
        help="print the configuration as expanded (rule sets, variables, bucket lists); selectors stay unresolved",
    )

    p = sub.add_parser(
        "show-config", help="print the configuration as expanded: one bucket entry per bucket, selectors resolved"
    )
    _common(p, state=False)
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help="output format (default yaml)")
    p.add_argument("--offline", action="store_true", help="do not list buckets: leave selectors unresolved")
    _parallelism(p)
    _timeouts(p)

    p = sub.add_parser(
        "fmt", help="rewrite configuration files in canonical form (key order, quoting, indentation; comments kept)"
    )
    _common(p, state=False)
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 2 when a file is not formatted (for CI), 1 when one cannot be parsed",
    )
    p.add_argument("--diff", action="store_true", help="show the changes as a unified diff on stdout")

    p = sub.add_parser("plan", help="read the live buckets and show what apply would change")
    _common(p, fmt=("text", "json", "markdown"))
    _targets(p)
    _confirm_identity(p)
    _refresh_only(p, "plan to update")
    p.add_argument("--out", metavar="FILE", help="save the plan to FILE for a later `apply FILE`")
    p.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 0 when there are no changes, 2 when there are"
    )

    p = sub.add_parser("apply", help="apply a saved plan, or plan and apply after confirmation")
    _common(p, fmt=("text", "json"))
    _targets(p)
    _confirm_identity(p)
    _refresh_only(p, "update")
    _lock_timeout(p)
    p.add_argument("planfile", nargs="?", metavar="PLANFILE", help="a plan saved with `plan --out`")
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("drift", help="compare live buckets, state and configuration (read-only)")
    _common(p, fmt=("text", "json", "markdown", "prometheus"))
    _targets(p)
    p.add_argument(
        "--ignore-file",
        metavar="FILE",
        help="known, accepted differences with expiry dates (default .driftignore.yaml when present)",
    )

    p = sub.add_parser("show", help="render a saved plan, or the state")
    _common(p, config=False, fmt=("text", "json", "markdown"))
    p.add_argument(
        "planfile", nargs="?", metavar="PLANFILE", help="a plan saved with `plan --out` (default: show the state)"
    )

    p = sub.add_parser("import", help="adopt live rules into state and print them as configuration")
    _common(p)
    _lock_timeout(p)
    _timeouts(p)
    _addresses(
        p.add_argument(
            "address",
            metavar="ADDR",
            help="<provider>/<bucket> or <provider>/<bucket>/<rule-id> to adopt into the state",
        ),
        "config",
    )

    p = sub.add_parser("state", help="inspect or forget state entries")
    state_sub = p.add_subparsers(dest="state_command", metavar="SUBCOMMAND", parser_class=_Parser)
    state_sub.required = True
    q = state_sub.add_parser("list", help="list managed buckets and rules")
    _common(q, config=False, fmt=("text", "json"))
    _addresses(q.add_argument("addresses", nargs="*", metavar="ADDR", help="only these addresses"))
    q = state_sub.add_parser("rm", help="forget addresses (nothing live changes)")
    _common(q, config=False)
    _lock_timeout(q)
    _addresses(
        q.add_argument(
            "addresses",
            nargs="+",
            metavar="ADDR",
            help="<provider>/<bucket> or <provider>/<bucket>/<rule-id> to forget (repeatable)",
        )
    )

    q = state_sub.add_parser(
        "mv", help="record a provider, bucket or rule id under a new name (nothing live changes; no delete and create)"
    )
    _common(q, config=False)
    _lock_timeout(q)
    q.add_argument("source", metavar="SRC", help="<provider>, <provider>/<bucket> or <provider>/<bucket>/<rule-id>")
    q.add_argument("destination", metavar="DST", help="the new name, of the same kind (a rule keeps its bucket)")

    q = state_sub.add_parser(
        "migrate", help="move the state to another location (lineage and serial kept, both locations locked)"
    )
    _common(q, config=False)
    _lock_timeout(q)
    q.add_argument(
        "--to", required=True, metavar="LOCATION", help="where the state goes: a file path, s3://… or postgresql://…"
    )

    p = sub.add_parser("force-unlock", help="remove a stale state lock")
    _common(p, config=False)
    p.add_argument("lock_id", metavar="LOCK_ID", help="the lock's ID, as the error naming the lock holder shows it")

    p = sub.add_parser("emulator", help="run the local emulator of the QingStor, BOS and S3 notification APIs")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port (default 9000; 0 picks a free one)")
    p.add_argument("--data", metavar="FILE", help="persist buckets and documents in FILE (default: in memory)")
    p.add_argument("--access-key", metavar="AK", help="accept this access key (with --secret-key)")
    p.add_argument("--secret-key", metavar="SK", help="secret of --access-key")
    p.add_argument("--keys-file", metavar="FILE", help="JSON or YAML mapping of access keys to secrets")
    p.add_argument("--region", default=None, help="server region for the s3 dialect (default us-east-1)")
    p.add_argument(
        "--s3-flavor",
        choices=("aws", "jdcloud", "minio", "ceph"),
        default="aws",
        help="flavor of s3 buckets created through the S3 API (default aws; header x-emulator-flavor overrides)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")

    p = sub.add_parser(
        "completion",
        help="print the shell completion script (commands, flags, addresses from the state)",
        description='bash: eval "$(reconciler completion bash)" in ~/.bashrc; zsh: the same with zsh in ~/.zshrc; '
        "fish: reconciler completion fish > ~/.config/fish/completions/reconciler.fish",
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish")
    _described(parser)
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed command line, with the flags given before the command merged into the command's."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (`reconciler completion SHELL`)
        import argcomplete

        argcomplete.autocomplete(parser)  # answers and exits
    args = parser.parse_args(argv)
    for name, global_name in _GLOBAL_FLAGS.items():
        if getattr(args, global_name) and hasattr(args, name):
            setattr(args, name, True)
        delattr(args, global_name)
    return args


def printable(text: str, keep: str = "") -> str:
    """Text from files and servers made safe for a terminal (loaded only when there is an error
    to show: the renderers are most of the tool's import time)."""
    from reconciler.render.values import printable as safe

    return safe(text, keep=keep)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    verbose = getattr(args, "verbose", False)
    try:
        return run_command(args)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return EXIT_INTERRUPTED
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            sys.stderr.write(f"{printable(str(diagnostic))}\n")
        sys.stderr.write(f"Error: {exc}\n")
        return EXIT_ERROR
    except ReconcilerError as exc:
        if verbose:
            traceback.print_exc()
        sys.stderr.write(f"Error: {printable(str(exc), keep=chr(10))}\n")  # messages quote servers and files
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug: say so plainly, traceback only when asked
        if verbose:
            traceback.print_exc()
        sys.stderr.write(
            f"Error: internal error ({type(exc).__name__}: {exc}); run again with --verbose for details\n"
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
