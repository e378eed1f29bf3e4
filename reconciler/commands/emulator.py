"""`reconciler emulator`: serve the local QingStor / BOS / S3 notification emulator until stopped."""

from __future__ import annotations

import logging
from pathlib import Path

from reconciler.commands.options import EmulatorOptions
from reconciler.emulator import DEFAULT_REGION
from reconciler.emulator.app import Emulator
from reconciler.emulator.datafile import DataFile, MemoryOnly
from reconciler.emulator.keys import accepted_keys
from reconciler.emulator.server import listening_socket, serve
from reconciler.errors import ReconcilerError


def run(args: EmulatorOptions) -> int:
    if not 0 <= args.port <= 65535:
        raise ReconcilerError(f"--port {args.port} is not a TCP port (0-65535; 0 picks a free one)")
    keys = accepted_keys(args.access_key, args.secret_key, args.keys_file)
    persistence = DataFile(Path(args.data)) if args.data else MemoryOnly()
    store = persistence.load()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("reconciler.emulator").setLevel(logging.INFO if args.verbose else logging.WARNING)
    emulator = Emulator(
        store, keys, region=args.region or DEFAULT_REGION, persistence=persistence, default_flavor=args.s3_flavor
    )
    serve(emulator, listening_socket(args.host, args.port), verbose=args.verbose)
    return 0
