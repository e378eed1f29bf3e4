"""`reconciler completion bash|zsh|fish`: the shell script that completes reconciler's commands,
flags and, from the state, addresses (argcomplete: the shell asks `reconciler` itself, so the
completion always matches the installed version).

    eval "$(reconciler completion bash)"                   # ~/.bashrc
    eval "$(reconciler completion zsh)"                    # ~/.zshrc
    reconciler completion fish > ~/.config/fish/completions/reconciler.fish
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.commands.options import CompletionOptions

SHELLS = ("bash", "zsh", "fish")


def run(args: CompletionOptions) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["reconciler"], shell=args.shell))
    return 0


def state_addresses(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """Addresses of the state a completed command would read, when it is a local file; nothing
    for remote states (completion never waits on the network) or a state that cannot be read."""
    location = getattr(parsed_args, "state", None)
    if not location or "://" in location:
        return []
    try:
        from reconciler.commands.workspace import read_state

        addresses = read_state(location).addresses()
    except Exception:  # noqa: BLE001 - completion offers nothing rather than an error in the shell
        return []
    return [address for address in addresses if address.startswith(prefix)]


def configured_addresses(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """Bucket and rule addresses the configuration (`-c`, else ./notifications) declares; nothing
    when it cannot be read. Offline: the configuration is read, never a bucket."""
    try:
        from reconciler.config.loader import load_configuration

        config = load_configuration(getattr(parsed_args, "config", None))
    except Exception:  # noqa: BLE001 - an invalid configuration completes nothing
        return []
    found: list[str] = []
    for bucket in config.buckets:
        found.append(bucket.address)
        found.extend(f"{bucket.address}/{rule.id}" for rule in bucket.notifications)
    return [address for address in found if address.startswith(prefix)]


def any_address(prefix: str, parsed_args: argparse.Namespace, **kwargs: Any) -> list[str]:
    """What --target can name: addresses of the configuration and of the state."""
    found = configured_addresses(prefix, parsed_args, **kwargs) + state_addresses(prefix, parsed_args, **kwargs)
    return sorted(dict.fromkeys(found))
