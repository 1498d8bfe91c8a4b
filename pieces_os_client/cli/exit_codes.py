"""Exit codes, and ``CliError``: a failure the command line reports in one line with its code.
Nothing here imports the SDK (the main ``--help`` shows the table)."""
from __future__ import annotations

from typing import Sequence

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_FOUND = 4
EXIT_GONE = 5
EXIT_CONFLICT = 6
EXIT_NOT_PIECES_OS = 7
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES = {
    EXIT_OK: "success (a closed pipe, as in '| head -1', included)",
    EXIT_ERROR: "Pieces OS reported an error, some files failed in import or export, untag named a tag"
    " the asset does not have, or the editor exited with an error",
    EXIT_USAGE: "bad usage or bad input (unknown option, unreadable or binary file, rejected request, an id"
    " prefix that more than one asset's id starts with)",
    EXIT_UNREACHABLE: "Pieces OS is not reachable, did not answer within the timeout, or its answer broke off",
    EXIT_NOT_FOUND: "no asset with that id",
    EXIT_GONE: "the asset has been deleted",
    EXIT_CONFLICT: "the snippet kept changing while rename, tag or untag ran, or changed while edit ran;"
    " nothing was saved",
    EXIT_NOT_PIECES_OS: "the server at the host is not Pieces OS",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C), watch included",
    EXIT_TERMINATED: "terminated (SIGTERM); like Ctrl-C, an export leaves no partial files",
}


class CliError(Exception):
    """A failure the command line reports as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        # Lines printed under the error (the candidates an ambiguous id prefix stands for).
        self.details = list(details)
