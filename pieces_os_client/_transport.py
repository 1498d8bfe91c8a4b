"""What the REST transport (``rest``) and the streams (``streams``) share.

Both connect to the same host with the same Configuration, so they take their TLS context, their
proxy and its credentials, their header checks and the hints of their connection errors from
here, and behave alike: a setting means the same thing for a call and for a stream.
"""
from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Dict, NamedTuple, Optional
from urllib.parse import unquote, urlsplit

from urllib3.util import make_headers

from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._headers import header_problem, redact_url
from pieces_os_client.exceptions import ApiValueError

if TYPE_CHECKING:
    from pieces_os_client.configuration import Configuration


def check_header(name: str, value: str) -> None:
    """Refuse a header that could split the request (CR, LF, NUL) or is not text: ApiValueError."""
    problem = header_problem(name, value)
    if problem is not None:
        raise ApiValueError(problem)


def tls_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS settings of ``configuration`` as an SSLContext: the system's CAs, or ``ssl_ca_cert``
    and ``ca_cert_data``; the client certificate ``cert_file``/``key_file``; no verification
    only when ``verify_ssl`` is False. Raises ApiValueError when a file or PEM text cannot be loaded."""
    try:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert, cadata=configuration.ca_cert_data)
        if configuration.cert_file:
            context.load_cert_chain(configuration.cert_file, configuration.key_file)
    except (OSError, ValueError) as error:
        raise ApiValueError(
            f"the TLS settings of the Configuration (ssl_ca_cert, ca_cert_data, cert_file, key_file)"
            f" could not be loaded: {error}"
        ) from error
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class ProxySettings(NamedTuple):
    """The proxy of a Configuration as the transports use it."""

    url: str  # the proxy URL without its user information
    headers: Dict[str, str]  # sent to the proxy: proxy_headers, and credentials from the URL
    shown: str  # the proxy URL for messages and logs (password replaced)


def proxy_settings(configuration: Configuration) -> Optional[ProxySettings]:
    """How to use ``configuration.proxy``: credentials in its URL become ``Proxy-Authorization``.

    urllib3 and websocket-client each treat credentials in a proxy URL their own way (urllib3
    ignores them); turning them into a header here gives REST calls and streams one behaviour.
    An explicit ``Proxy-Authorization`` in ``proxy_headers`` wins over the URL's credentials.
    """
    proxy = configuration.proxy
    if not proxy:
        return None
    shown = redact_url(proxy)
    try:
        parts = urlsplit(proxy)
        port = parts.port
    except ValueError as error:
        raise ApiValueError(f"Configuration.proxy {shown!r} is not a valid URL ({error})") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiValueError(f"Configuration.proxy {shown!r} is not an http(s) URL like 'http://proxy:3128'")
    headers = dict(configuration.proxy_headers or {})
    if parts.username is not None and not any(name.lower() == "proxy-authorization" for name in headers):
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers.update(make_headers(proxy_basic_auth=credentials))
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    url = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    return ProxySettings(url, headers, shown)


# ----- what connection errors say -------------------------------------------------------------
def unreachable_hint(host: str, configuration: Configuration) -> str:
    """What to check when ``host`` (shown without a password) cannot be reached, by how the host
    was chosen (``Configuration.host_source``): a host the program gave, ``PIECES_OS_URL``, the
    generated SDK's ``server_index``, or the Pieces OS found on this machine."""
    source = configuration.host_source
    if source == "environment":
        return (
            f"Is Pieces OS running at {host}? That address comes from the {HOST_ENVIRONMENT_VARIABLE} environment"
            " variable: correct it, or unset it to use the Pieces OS found on this machine."
        )
    if source == "server_index":
        return (
            f"Is Pieces OS running at {host}? server_index picks that address, where Pieces OS listened before it"
            " moved to 39300-39333: leave host and server_index out to use the Pieces OS found on this machine."
        )
    if source == "discovery":
        return (
            f"Pieces OS was found at {host} on this machine and no longer answers there (stopped, or restarted"
            " on another port); the next call searches for it again."
        )
    return (
        f"Is Pieces OS running at {host}? Check the host given to the Configuration; Configuration() without"
        " one uses the Pieces OS found on this machine."
    )


def tls_failure(host: str, what: str, cause: object) -> str:
    """The message for a TLS failure with ``host`` during ``what`` (a call or a stream)."""
    return f"TLS failed with {host} for {what}: {cause}. Check ssl_ca_cert or verify_ssl."


def proxy_failure(proxy: ProxySettings, what: str, cause: object) -> str:
    """The message for a proxy that failed ``what``."""
    return f"The proxy {proxy.shown} failed for {what}: {cause}. Check Configuration.proxy and proxy_headers."
