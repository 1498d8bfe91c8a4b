"""Configuration: where Pieces OS is and how to talk to it."""
from __future__ import annotations

import copy
import ipaddress
import logging
import os
import sys
import threading
from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

from urllib3.util import make_headers

from pieces_os_client import _collector
from pieces_os_client._discovery import candidate_ports
from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._headers import redact_url
from pieces_os_client._version import __version__
from pieces_os_client.exceptions import ApiValueError

# Where Pieces OS listened before it took the first free port of 39300-39333; the server the
# API description names, which server_index=0 selects as in the generated SDK.
__all__ = ["Configuration"]

DEFAULT_HOST = "http://localhost:1000"
# Where today's Pieces OS listens first, for messages that show what a host looks like.
EXAMPLE_HOST = "http://localhost:39300"
# The API key that 4.1 and later generated SDKs send as X-Application-ID when it is set.
APPLICATION_AUTH = "application"
# The longest timeout accepted: beyond it, a number is a mistake (and urllib3 and the socket
# module fail on values near the platform's limits with bare OverflowErrors).
MAX_TIMEOUT_SECONDS = 365 * 24 * 3600.0

logger = logging.getLogger("pieces_os_client")


def _check_bracketed_host(netloc: str) -> None:
    """Raise ValueError when the host in brackets is not an IPv6 address. Python 3.11 and later
    check this in urlsplit; 3.9 and 3.10 take ``http://[nothex]:1`` as it is."""
    host = netloc.rpartition("@")[2]
    if not host.startswith("["):
        return
    inside = host[1:host.find("]")] if "]" in host else host[1:]
    if inside[:1] in ("v", "V"):  # an IPvFuture literal, which urlsplit accepts
        return
    ipaddress.IPv6Address(inside.split("%", 1)[0])


class Configuration:
    """Settings shared by an ApiClient and everything made from it.

    :param host: the base URL of Pieces OS. Default: ``$PIECES_OS_URL`` when set, else the Pieces
        OS that the ApiClient finds on this machine on its first call: the first of
        ``discovery_ports`` on localhost that answers ``GET /.well-known/health`` (see
        pieces_os_client/_discovery.py). A given host is used as it is, never searched for. The
        Configuration itself is plain data: reading ``host`` never searches. User information in
        it (``http://user:pw@host:port``) is sent as ``Authorization: Basic`` by every call and
        stream, and never shown.
    :param api_key, api_key_prefix: as in the generated SDK, dicts keyed by security scheme:
        ``api_key={"application": "my-plugin"}`` sends ``X-Application-ID: my-plugin`` with every
        request (``api_key_prefix={"application": "P"}`` makes it ``P my-plugin``).
    :param username, password, access_token: kept for ``get_basic_auth_token()`` and code that
        reads them; the Pieces OS API declares no scheme that sends them, so no request does.
    :param server_index, server_variables: pick the host from ``get_host_settings()`` (the
        servers the API description lists: index 0 is ``http://localhost:1000``) instead of
        discovery, as in the generated SDK.
    :param discovery_ports: the ports to search when no host is given, in order of preference
        (default ``$PIECES_OS_PORTS`` such as ``39300-39333,1000``, else 39300-39333, 1000, 5323).
    :param connect_timeout: seconds to wait for a connection (default 5).
    :param read_timeout: seconds to wait between bytes of a response (default 60); None waits forever.
    :param deadline: seconds a whole call may take, from connecting to the last byte of the
        body, retries and their waits included; None (the default) sets no such bound, so only
        ``connect_timeout`` and ``read_timeout`` apply. A call's ``_request_timeout`` overrides it.
    :param retries: how many times an idempotent request (GET) is retried after a connection
        error or a 502, 503 or 504; 0 turns retries off. A POST is retried only when the
        connection could not be made at all, so it never reaches the server twice. A read
        timeout is never retried. See docs/errors.md.
    :param retry_backoff_factor: the first retry is immediate; the second waits 2 x this many
        seconds, the third 4 x, and so on, each plus up to this much random jitter, capped at
        ``retry_backoff_max``. A ``Retry-After`` header from the server takes precedence, but is
        also capped at ``retry_backoff_max``.
    :param proxy: an ``http://`` proxy URL for every request and stream; credentials in it
        (``http://user:password@proxy:3128``) are sent as ``Proxy-Authorization``, and never shown
        in messages or logs. ``proxy_headers`` are sent to the proxy too, by REST calls and streams.
    :param verify_ssl: verify the server's TLS certificate for https hosts (default True).
    :param ssl_ca_cert: a CA bundle file to verify against; ``ca_cert_data`` the same as PEM text.
    :param cert_file, key_file: a client certificate for mutual TLS.
    :param connection_pool_maxsize: the most connections open to Pieces OS at once, shared by all
        threads; a thread that finds them all busy waits for one, up to ``read_timeout``.
    :param debug: log every request and response at DEBUG on the ``pieces_os_client`` logger
        (secret headers redacted); the SDK never prints.
    :param pause_gc: pause automatic garbage collection while a large response (128 KiB or more)
        is parsed into models, and resume it after: a big snapshot parses two to three times
        faster, collection included (parsed models form no reference cycles, so the collector's
        passes during a parse find nothing). The pause never turns on a collector the program
        turned off. Default True. The default configuration's value (``set_default``) also
        governs ``Model.from_json``. See docs/performance.md.
    :param max_decoded_bytes: the most bytes a compressed response body (``Content-Encoding``
        gzip or deflate, which the SDK never asks for) may expand to; past it the call raises
        ``ApiDecodeError``. Default 128 MiB. Uncompressed bodies are not limited.
    """

    _default: ClassVar[Optional[Configuration]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[Dict[str, str]] = None,
        api_key_prefix: Optional[Dict[str, str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        access_token: Optional[str] = None,
        server_index: Optional[int] = None,
        server_variables: Optional[Dict[str, str]] = None,
        server_operation_index: Optional[Dict[str, int]] = None,
        server_operation_variables: Optional[Dict[str, Dict[str, str]]] = None,
        ssl_ca_cert: Optional[str] = None,
        *,
        discovery_ports: Optional[Sequence[int]] = None,
        connect_timeout: Optional[float] = 5.0,
        read_timeout: Optional[float] = 60.0,
        deadline: Optional[float] = None,
        retries: Optional[int] = 3,
        retry_backoff_factor: float = 0.2,
        retry_backoff_max: float = 5.0,
        proxy: Optional[str] = None,
        proxy_headers: Optional[Dict[str, str]] = None,
        verify_ssl: bool = True,
        ca_cert_data: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        assert_hostname: Optional[str] = None,
        connection_pool_maxsize: Optional[int] = None,
        debug: bool = False,
        pause_gc: bool = True,
        max_decoded_bytes: int = 128 * 1024 * 1024,
    ) -> None:
        self.api_key: Dict[str, str] = dict(api_key or {})
        self.api_key_prefix: Dict[str, str] = dict(api_key_prefix or {})
        self.refresh_api_key_hook: Optional[Callable[[Configuration], None]] = None
        self.username = username
        self.password = password
        self.access_token = access_token
        self.server_operation_index: Dict[str, int] = dict(server_operation_index or {})
        self.server_operation_variables: Dict[str, Dict[str, str]] = dict(server_operation_variables or {})
        self.discovery_ports = candidate_ports(discovery_ports)
        self._host: Optional[str] = None
        self._host_source = "given"
        self.server_index: Optional[int] = None
        self.server_variables: Dict[str, str] = dict(server_variables or {})
        # An empty PIECES_OS_URL (as `PIECES_OS_URL= cmd` leaves it) counts as unset.
        from_environment = (os.environ.get(HOST_ENVIRONMENT_VARIABLE) or "").strip()
        if host is not None:
            self.host = host
        elif from_environment:
            try:
                self.host = from_environment
            except ApiValueError as error:
                raise ApiValueError(f"the {HOST_ENVIRONMENT_VARIABLE} environment variable: {error}") from None
            self._host_source = "environment"
        elif server_index is not None:
            self.get_host_from_settings(server_index, self.server_variables)  # refuse a bad index now
            self.server_index = server_index
        self.connect_timeout = check_seconds(connect_timeout, "Configuration.connect_timeout")
        self.read_timeout = check_seconds(read_timeout, "Configuration.read_timeout")
        self.deadline = check_seconds(deadline, "Configuration.deadline")
        self.retries = retries
        self.retry_backoff_factor = retry_backoff_factor
        self.retry_backoff_max = retry_backoff_max
        self.proxy = proxy
        self.proxy_headers = proxy_headers
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.cert_file = cert_file
        self.key_file = key_file
        self.assert_hostname = assert_hostname
        self.connection_pool_maxsize = (
            connection_pool_maxsize if connection_pool_maxsize is not None else min(32, (os.cpu_count() or 1) * 5)
        )
        self.pause_gc = pause_gc
        if isinstance(max_decoded_bytes, bool) or not isinstance(max_decoded_bytes, int) or max_decoded_bytes < 1:
            raise ApiValueError(f"Configuration.max_decoded_bytes must be a positive int, got {max_decoded_bytes!r}")
        self.max_decoded_bytes = max_decoded_bytes
        self.logger = logger
        self._debug = False
        self.debug = debug

    @property
    def host(self) -> str:
        """The base URL of Pieces OS as configured: the given host, the server ``server_index``
        picks, or, when neither was given, ``http://localhost:1000`` as in the generated SDK.

        Reading it never touches the network. With no host given (``host_is_given`` is False),
        an ApiClient sends its calls to the Pieces OS it finds on this machine instead
        (``ApiClient.resolve_host()``).
        """
        if self._host is not None:
            return self._host
        if self.server_index is not None:
            return self.get_host_from_settings(self.server_index, self.server_variables)
        return DEFAULT_HOST

    @host.setter
    def host(self, value: str) -> None:
        if not isinstance(value, str):
            raise ApiValueError(f"host must be a str URL such as {EXAMPLE_HOST!r}, got {type(value).__name__}")
        value = value.strip().rstrip("/")
        try:
            parts = urlsplit(value)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 (reading it checks the port)
            _check_bracketed_host(parts.netloc)
        except ValueError as error:
            raise ApiValueError(
                f"host {redact_url(value)!r} is not a valid URL ({error}); expected something like {EXAMPLE_HOST!r}"
            ) from error
        if not valid:
            raise ApiValueError(
                f"host {redact_url(value)!r} is not an http(s) URL; expected something like {EXAMPLE_HOST!r}"
            )
        self._host = value
        self._host_source = "given"
        self.server_index = None

    @property
    def host_source(self) -> str:
        """How the host was chosen: ``"given"`` (``host=``, or assigned), ``"environment"``
        (``PIECES_OS_URL``), ``"server_index"``, or ``"discovery"`` (none given: the client
        finds the Pieces OS on this machine). Error messages give advice that fits it."""
        if self._host is not None:
            return self._host_source
        return "server_index" if self.server_index is not None else "discovery"

    @property
    def host_is_given(self) -> bool:
        """False while the host is left to discovery (no host, PIECES_OS_URL or server_index)."""
        return self._host is not None or self.server_index is not None

    # ----- the generated SDK's auth and server settings ----------------------------------------
    def get_api_key_with_prefix(self, identifier: str, alias: Optional[str] = None) -> Optional[str]:
        """The API key for a security scheme, with its prefix when one is set."""
        if self.refresh_api_key_hook is not None:
            self.refresh_api_key_hook(self)
        key = self.api_key.get(identifier, self.api_key.get(alias) if alias is not None else None)
        if not key:
            return None
        prefix = self.api_key_prefix.get(identifier)
        return f"{prefix} {key}" if prefix else key

    def get_basic_auth_token(self) -> Optional[str]:
        """The ``Authorization`` value for HTTP basic auth from username and password."""
        if self.username is None and self.password is None:
            return None
        return make_headers(basic_auth=f"{self.username or ''}:{self.password or ''}").get("authorization")

    def auth_settings(self) -> Dict[str, Dict[str, Any]]:
        """The security schemes that apply to every request, as the generated SDK lists them."""
        settings: Dict[str, Dict[str, Any]] = {}
        if APPLICATION_AUTH in self.api_key:
            settings[APPLICATION_AUTH] = {
                "type": "api_key",
                "in": "header",
                "key": "X-Application-ID",
                "value": self.get_api_key_with_prefix(APPLICATION_AUTH),
            }
        return settings

    def get_host_settings(self) -> List[Dict[str, Any]]:
        """The servers the API description lists."""
        return [{"url": DEFAULT_HOST, "description": "Pieces OS on its port before 39300-39333"}]

    def get_host_from_settings(
        self,
        index: Optional[int],
        variables: Optional[Dict[str, str]] = None,
        servers: Optional[List[Dict[str, Any]]] = None,
    ) -> str:
        """The URL of server ``index`` with ``variables`` filled in; None gives ``host``."""
        if index is None:
            return self.host
        servers = self.get_host_settings() if servers is None else servers
        if type(index) is not int or not 0 <= index < len(servers):
            raise ApiValueError(f"server index {index!r} is invalid: it must be an int from 0 to {len(servers) - 1}")
        server = servers[index]
        url: str = server["url"]
        for name, variable in server.get("variables", {}).items():
            value = (variables or {}).get(name, variable["default_value"])
            if "enum_values" in variable and value not in variable["enum_values"]:
                raise ApiValueError(f"server variable {name}={value!r} must be one of {variable['enum_values']}")
            url = url.replace("{" + name + "}", value)
        return url

    @property
    def debug(self) -> bool:
        """When True, requests and responses are logged at DEBUG on ``pieces_os_client``."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        if self._debug and logger.getEffectiveLevel() > logging.DEBUG:
            logger.setLevel(logging.DEBUG)

    @classmethod
    def get_default(cls) -> Configuration:
        """A copy of the default configuration (``Configuration()`` unless set_default was called)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return copy.deepcopy(cls._default)

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """``get_default()`` under the name older generated SDK versions used; kept for code written
        against the generated SDK."""
        return cls.get_default()

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Make ``default`` what ``Configuration.get_default()`` and ``ApiClient()`` start from."""
        with cls._default_lock:
            cls._default = copy.deepcopy(default)
            _collector.pause_by_default = default is None or default.pause_gc

    def __deepcopy__(self, memo: Dict[int, Any]) -> Configuration:
        clone = Configuration.__new__(Configuration)
        for key, value in self.__dict__.items():
            setattr(clone, key, value if key == "logger" else copy.deepcopy(value, memo))
        return clone

    def __repr__(self) -> str:
        host = redact_url(self.host) if self.host_is_given else "found on first use"
        return f"Configuration(host={host!r})"

    def to_debug_report(self) -> str:
        """Versions of the SDK, Python and the platform, for bug reports."""
        # Imported here, not at the top: the platform module costs more to import than this
        # rarely used report is worth to every program that imports the SDK.
        import platform

        return (
            "Python SDK Debug Report:\n"
            f"OS: {platform.platform()}\n"
            f"Python Version: {sys.version.split()[0]}\n"
            f"SDK Package Version: {__version__}\n"
            f"Pieces OS host: {redact_url(self.host) if self.host_is_given else 'found on first use'}"
        )


def check_seconds(value: Any, name: str) -> Optional[float]:
    """``value`` as a timeout in seconds (None stays None); ApiValueError naming ``name`` if unusable."""
    if value is None:
        return None
    # NaN fails every comparison, so it is refused here too.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise ApiValueError(
            f"{name} must be a positive number of seconds, at most {MAX_TIMEOUT_SECONDS:.0f}, or None; got {value!r}"
        )
    return float(value)
