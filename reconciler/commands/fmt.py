"""`reconciler fmt [-c PATH…] [--check] [--diff]`: rewrite configuration files in their canonical
form (reconciler.config.formatting), comments kept. `--check` writes nothing and exits 2 when a
file would change (for CI: like `plan --detailed-exitcode`, 2 means "there are changes"), 1 when a
file cannot be parsed, 0 when every file is formatted."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile

from reconciler.commands.options import FmtOptions
from reconciler.config.formatting import FormatError, format_text, provider_types
from reconciler.config.source import discover
from reconciler.errors import ReconcilerError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _read(name: str) -> str:
    try:
        with open(name, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcilerError(f"{name}: cannot read: {exc}") from None


def _write(name: str, text: str) -> None:
    """Replace the file atomically, keeping its permissions (through a symlink: the file it names)."""
    name = os.path.realpath(name)
    directory = os.path.dirname(name)
    mode = os.stat(name).st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".fmt-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, name)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def run(args: FmtOptions) -> int:
    files, problems = discover(args.config)
    if problems:
        raise ReconcilerError("\n".join(str(problem) for problem in problems))
    texts = {name: _read(name) for name in files}
    types: dict[str, str] = {}
    for name, text in texts.items():  # providers may live in another file than their buckets
        types.update(provider_types(text, json_file=name.lower().endswith(".json")))
    changed, failed = [], []
    for name, text in texts.items():
        try:
            formatted = format_text(text, json_file=name.lower().endswith(".json"), types=types)
        except FormatError as exc:
            where = f"{name}:{exc.line}" if exc.line else name
            sys.stderr.write(f"{where}: {exc}; not formatted\n")
            failed.append(name)
            continue
        if formatted == text:
            continue
        changed.append(name)
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True), formatted.splitlines(keepends=True), name, f"{name} (formatted)"
                )
            )
        if not args.check:
            _write(name, formatted)
        if not args.diff:
            sys.stdout.write(f"{name}\n")
    if failed:
        return EXIT_ERROR
    if args.check and changed:
        noun = "file is" if len(changed) == 1 else "files are"
        sys.stderr.write(f"{len(changed)} {noun} not formatted: run `reconciler fmt`\n")
        return EXIT_CHANGES
    return EXIT_OK
