"""Exit codes (DESIGN §3). `cli.main` maps errors to them; commands return the first three."""

EXIT_OK = 0
EXIT_ERROR = 1  # also every ReconcilerError's exit_code
EXIT_CHANGES = 2  # plan --detailed-exitcode: changes; drift: drift found
EXIT_INTERRUPTED = 130  # Ctrl-C
