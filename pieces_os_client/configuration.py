"""Configuration: where Pieces OS is and how to talk to it."""
from __future__ import annotations

import copy
import logging
import os
import threading
from typing import Any, ClassVar, Dict, Optional

DEFAULT_HOST = "http://localhost:1000"
HOST_ENVIRONMENT_VARIABLE = "PIECES_OS_URL"

logger = logging.getLogger("pieces_os_client")


class Configuration:
    """Settings shared by an ApiClient and everything made from it.

    :param host: the base URL of Pieces OS. Default: ``$PIECES_OS_URL`` when set, else
        ``http://localhost:1000``.
    :param connect_timeout: seconds to wait for a connection (default 5).
    :param read_timeout: seconds to wait between bytes of a response (default 60); None waits forever.
    :param retries: how many times an idempotent request (GET) is retried after a connection
        error or a 502, 503 or 504; 0 turns retries off. A POST is retried only when the
        connection could not be made at all, so it never reaches the server twice. A read
        timeout is never retried. See docs/errors.md.
    :param retry_backoff_factor: the first retry is immediate; the second waits 2 x this many
        seconds, the third 4 x, and so on, each plus up to this much random jitter, capped at
        ``retry_backoff_max``. A ``Retry-After`` header from the server takes precedence, but is
        also capped at ``retry_backoff_max``.
    :param proxy: an ``http://`` proxy URL for every request; ``proxy_headers`` are sent to it.
    :param verify_ssl: verify the server's TLS certificate for https hosts (default True).
    :param ssl_ca_cert: a CA bundle file to verify against; ``ca_cert_data`` the same as PEM text.
    :param cert_file, key_file: a client certificate for mutual TLS.
    :param connection_pool_maxsize: the most connections open to Pieces OS at once, shared by all
        threads; a thread that finds them all busy waits for one, up to ``read_timeout``.
    :param debug: log every request and response at DEBUG on the ``pieces_os_client`` logger
        (secret headers redacted); the SDK never prints.
    :param pause_gc: pause Python's cyclic garbage collector while a large response (at least
        ``ApiClient.PAUSE_GC_MIN_BYTES``, 128 KiB) is parsed into models, and restore it after,
        which makes a big snapshot parse about three times faster (parsed models form no
        reference cycles, so the collector's passes during a parse find nothing). Default True;
        see docs/performance.md.
    """

    _default: ClassVar[Optional[Configuration]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        host: Optional[str] = None,
        *,
        connect_timeout: Optional[float] = 5.0,
        read_timeout: Optional[float] = 60.0,
        retries: Optional[int] = 3,
        retry_backoff_factor: float = 0.2,
        retry_backoff_max: float = 5.0,
        proxy: Optional[str] = None,
        proxy_headers: Optional[Dict[str, str]] = None,
        verify_ssl: bool = True,
        ssl_ca_cert: Optional[str] = None,
        ca_cert_data: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        assert_hostname: Optional[str] = None,
        connection_pool_maxsize: Optional[int] = None,
        debug: bool = False,
        pause_gc: bool = True,
    ) -> None:
        resolved = host if host is not None else os.environ.get(HOST_ENVIRONMENT_VARIABLE) or DEFAULT_HOST
        self.host = resolved
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
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
        self.logger = logger
        self._debug = False
        self.debug = debug

    @property
    def host(self) -> str:
        return self._host

    @host.setter
    def host(self, value: str) -> None:
        from urllib.parse import urlsplit

        from pieces_os_client.exceptions import ApiValueError

        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiValueError(
                f"host {value!r} is not an http(s) URL; expected something like {DEFAULT_HOST!r}"
            )
        self._host = value

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
        return cls.get_default()

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Make ``default`` what ``Configuration.get_default()`` and ``ApiClient()`` start from."""
        with cls._default_lock:
            cls._default = copy.deepcopy(default)

    def __deepcopy__(self, memo: Dict[int, Any]) -> Configuration:
        clone = Configuration.__new__(Configuration)
        for key, value in self.__dict__.items():
            setattr(clone, key, value if key == "logger" else copy.deepcopy(value, memo))
        return clone

    def __repr__(self) -> str:
        return f"Configuration(host={self.host!r})"

    def to_debug_report(self) -> str:
        """Versions of the SDK, Python and the platform, for bug reports."""
        import platform
        import sys

        from pieces_os_client import __version__

        return (
            "Python SDK Debug Report:\n"
            f"OS: {platform.platform()}\n"
            f"Python Version: {sys.version.split()[0]}\n"
            f"SDK Package Version: {__version__}\n"
            f"Pieces OS host: {self.host}"
        )
