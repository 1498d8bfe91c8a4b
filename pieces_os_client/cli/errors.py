"""What the SDK raises, in the command line's terms: one line for stderr and its exit code
(``exit_codes``), through ``reported`` around every command that talks to Pieces OS."""
from __future__ import annotations

import argparse
from contextlib import contextmanager
from typing import Iterator, Optional
from urllib.parse import urlsplit

from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    MaxRetryError,
    NewConnectionError,
    ProxyError,
    SSLError,
)

from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client.cli.exit_codes import (
    EXIT_ERROR,
    EXIT_GONE,
    EXIT_NOT_FOUND,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
)
from pieces_os_client.cli.options import Run
from pieces_os_client.display import field_text
from pieces_os_client.exceptions import (
    ApiException,
    ApiTimeoutError,
    ApiTransportError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    GoneException,
    NotFoundException,
    OpenApiException,
    UnprocessableEntityException,
)


def status_line(error: ApiException) -> str:
    """An error status in one line: status, reason, the first line of the body, the request."""
    body = error.body if isinstance(error.body, str) else ""
    detail = body.strip().splitlines()[0] if body.strip() else ""
    where = f" ({error.method} {error.url})" if error.url else ""
    return f"{error.status} {error.reason or ''}".rstrip() + (f": {field_text(detail, 300)}" if detail else "") + where


# urllib3's errors for a connection that was never made.
_CONNECTING = (NewConnectionError, ConnectTimeoutError, EmptyPoolError, ProxyError, SSLError)


@contextmanager
def about_asset(asset_id: str, host: str) -> Iterator[None]:
    """Turn a 404 or 410 for ``asset_id`` into a one-line CliError with its exit code."""
    try:
        yield
    except NotFoundException:
        raise CliError(f"no asset with id {asset_id!r} at {host}", EXIT_NOT_FOUND) from None
    except GoneException:
        raise CliError(f"the asset {asset_id} has been deleted (410 Gone from {host})", EXIT_GONE) from None


def reason(error: BaseException) -> str:
    """Why a connection failed, in a few words: the operating system's reason when there is one
    (``Connection refused``), else the first line of the innermost error."""
    inner: Optional[BaseException] = error
    seen = []
    while inner is not None and inner not in seen:
        if isinstance(inner, OSError) and inner.strerror:
            return inner.strerror
        seen.append(inner)
        inner = inner.__cause__ or inner.__context__
    innermost = seen[-1]
    text = str(innermost).strip().splitlines()[0] if str(innermost).strip() else type(innermost).__name__
    if "object at 0x" in text:  # urllib3 puts the connection's repr first
        text = text.split(": ", 1)[-1]
    # The host and URL are said where the message is used; here they would only repeat it.
    for said in (getattr(innermost, "url", ""), getattr(innermost, "host", "")):
        if isinstance(said, str) and said:
            text = text.replace(said, "")
    return " ".join(text.split())[:120]


def connected(error: ApiTransportError) -> bool:
    """Whether the failure came once a connection was made (a response cut short, a connection
    reset or closed mid-answer), rather than while making one (refused, no such host, TLS, proxy,
    timed out)."""
    inner: Optional[BaseException] = error.reason
    if inner is None:
        return False
    seen = []
    while inner is not None and inner not in seen:
        if isinstance(inner, _CONNECTING):
            return False
        seen.append(inner)
        inner = inner.reason if isinstance(inner, MaxRetryError) and inner.reason is not None else inner.__cause__
    return True


def where_to_look(host_source: Optional[str]) -> str:
    """What to check about an unreachable host, by how it was chosen (``client.configuration``)."""
    if host_source == "--host":
        return "Is it running there? Check the URL given with --host (without it, the Pieces OS on this machine is found)."
    if host_source == HOST_ENVIRONMENT_VARIABLE:
        return (
            f"Is it running there? The address comes from {HOST_ENVIRONMENT_VARIABLE}: correct it, or unset it to"
            " use the Pieces OS found on this machine."
        )
    if host_source == "discovery":
        return "It was found on this machine a moment ago and may have stopped or moved; run the command again."
    return f"Is it running there? --host URL or {HOST_ENVIRONMENT_VARIABLE} gives its address."


def error_for(
    error: OpenApiException, timeout: Optional[float] = None, host_source: Optional[str] = None
) -> CliError:
    """The one-line message and exit code for an exception the SDK raised, in the command line's
    terms (--host, PIECES_OS_URL, --timeout) rather than the SDK's."""
    if isinstance(error, ApiTimeoutError):
        waited = f"within {timeout:g} s" if timeout is not None else "in time"
        return CliError(
            f"Pieces OS at {error.host} did not answer {waited} ({error.method} {error.url});"
            " --timeout SECONDS waits longer",
            EXIT_UNREACHABLE,
        )
    if isinstance(error, ApiTransportError) and connected(error):
        return CliError(
            f"Pieces OS at {error.host} was reached, but the connection broke before its answer to"
            f" {error.method} {urlsplit(str(error.url)).path} was complete: {reason(error)}. It may be restarting or failing;"
            " try again, and see its logs if it goes on.",
            EXIT_UNREACHABLE,
        )
    if isinstance(error, ApiTransportError):
        return CliError(
            f"cannot reach Pieces OS at {error.host}: {reason(error)}. {where_to_look(host_source)}"
            " Without Pieces OS, 'demo' and 'serve' start an emulator.",
            EXIT_UNREACHABLE,
        )
    if isinstance(error, (ApiValueError, ApiTypeError)):
        return CliError(f"bad input: {error}", EXIT_USAGE)
    if isinstance(error, (BadRequestException, UnprocessableEntityException)):
        return CliError(f"Pieces OS rejected the request: {status_line(error)}", EXIT_USAGE)
    if isinstance(error, NotFoundException):
        return CliError(f"not found: {status_line(error)}", EXIT_NOT_FOUND)
    if isinstance(error, GoneException):
        return CliError(f"gone: {status_line(error)}", EXIT_GONE)
    if isinstance(error, ApiException):
        return CliError(f"Pieces OS answered {status_line(error)}", EXIT_ERROR)
    return CliError(f"{type(error).__name__}: {error}", EXIT_ERROR)


def reported(run: Run) -> Run:
    """``run``, with every exception of the SDK it raises turned into a ``CliError``."""

    def reporting(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except OpenApiException as error:
            raise error_for(error, getattr(args, "timeout", None), getattr(args, "host_source", None)) from None

    return reporting
