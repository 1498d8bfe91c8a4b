"""Finding the Pieces OS the user runs, when no host was given.

Pieces OS listens on the first free port of 39300-39333 and answers ``GET /.well-known/health``;
older builds listened on 1000 (and 5323 on Linux). Every candidate port on loopback is asked at
once, each on its own short-lived thread: a closed port on loopback refuses at once on Linux and
macOS, but Windows takes about a second to give up on each, so asking one after another could
take a minute there. The first port in the list that answers as Pieces OS does (200 and ``ok:``
with its instance id; ``ok`` from older builds) wins, so 39300 is preferred to 39301 even when
both answer, and a web server or another service answering 200 on a port is passed over for it.
Only when no port answers as Pieces OS is the first that answered 200 taken, so that calls fail
saying what is there (the command line: "the server at ... is not Pieces OS") rather than that
nothing answered; such a find is not kept. What was found is kept for the process, per list of ports; a failure
is not kept, so a Pieces OS started later is found by the next call.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import urllib3

from pieces_os_client._transport import call_deadline, deadline_pools
from pieces_os_client.exceptions import ApiConnectionError, ApiTimeoutError, ApiValueError

logger = logging.getLogger("pieces_os_client")

DEFAULT_PORTS: Tuple[int, ...] = (*range(39300, 39334), 1000, 5323)
PORTS_ENVIRONMENT_VARIABLE = "PIECES_OS_PORTS"
HEALTH_PATH = "/.well-known/health"
# How much of a health answer is read: "ok:" and an instance id fit many times over.
_HEALTH_BYTES = 256
LOOPBACK = "localhost"
# Pieces OS answers health in well under a millisecond; these only bound a port held by
# something that accepts connections and answers slowly or never: the connection, each read, and
# the whole health answer.
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
PROBE_DEADLINE = 2.0

_found: Dict[Tuple[int, ...], str] = {}
_lock = threading.Lock()


def parse_ports(text: str, source: str = PORTS_ENVIRONMENT_VARIABLE) -> Tuple[int, ...]:
    """Ports from ``"39300-39333,1000,5323"``: comma-separated ports and inclusive ranges."""
    ports: List[int] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        first, dash, last = item.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise ApiValueError(f"{source}: {item!r} is not a port or a range like 39300-39333") from None
        if not 0 < low <= high <= 65535:
            raise ApiValueError(f"{source}: {item!r} is not a port range within 1-65535")
        ports.extend(range(low, high + 1))
    if not ports:
        raise ApiValueError(f"{source} names no port; expected e.g. 39300-39333,1000,5323")
    return tuple(dict.fromkeys(ports))


def candidate_ports(ports: Optional[Iterable[int]] = None) -> Tuple[int, ...]:
    """``ports`` when given, else ``$PIECES_OS_PORTS`` when set, else 39300-39333, 1000, 5323."""
    if ports is not None:
        chosen = tuple(ports)
        if not chosen or any(type(port) is not int or not 0 < port <= 65535 for port in chosen):
            raise ApiValueError(f"discovery_ports must be ports within 1-65535, got {chosen!r:.80}")
        return chosen
    text = os.environ.get(PORTS_ENVIRONMENT_VARIABLE)
    return parse_ports(text) if text else DEFAULT_PORTS


def describe_ports(ports: Sequence[int]) -> str:
    """``39300-39333, 1000, 5323``: runs of consecutive ports shown as ranges."""
    parts = []
    start = previous = ports[0]
    for port in (*ports[1:], None):
        if port is not None and port == previous + 1:
            previous = port
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if port is not None:
            start = previous = port
    return ", ".join(parts)


def is_pieces_os_health(text: str) -> bool:
    """Whether ``text`` is Pieces OS's answer to ``GET /.well-known/health``: ``ok:`` and its
    instance id (``ok`` alone from older builds), not whatever else answers 200 on the port."""
    answer = text.strip().lower()
    return answer == "ok" or answer.startswith("ok:")


# What a port's answer to the health check was.
_NO_ANSWER, _OTHER_SERVER, _PIECES_OS = 0, 1, 2


def _answers(pool: urllib3.PoolManager, url: str, deadline: float) -> int:
    try:
        with call_deadline(deadline):
            response = pool.request("GET", url + HEALTH_PATH, retries=False, redirect=False, preload_content=False)
            try:
                if response.status != 200:
                    return _NO_ANSWER
                # The start of the body says it: however much more a server sends is not read.
                head = response.read(_HEALTH_BYTES, decode_content=False)
            finally:
                response.close()
                response.release_conn()
    except urllib3.exceptions.HTTPError:
        return _NO_ANSWER
    return _PIECES_OS if is_pieces_os_health(head.decode("utf-8", "replace")) else _OTHER_SERVER


def discover(
    ports: Optional[Iterable[int]] = None, *, refresh: bool = False, deadline: Optional[float] = None
) -> str:
    """The base URL of the Pieces OS answering on loopback, e.g. ``http://localhost:39300``.

    :param ports: the ports to try, in order of preference (default: see ``candidate_ports``).
    :param refresh: ask again even when an earlier call found one.
    :param deadline: when the search must be over (``time.monotonic()``), as the deadline of the
        call that needs the host; the search takes at most ``PROBE_DEADLINE`` seconds anyway,
        every byte of every health answer included.
    :raises ApiConnectionError: nothing answered; the message lists what was tried.
    :raises ApiTimeoutError: ``deadline`` passed before the search was over.
    """
    chosen = candidate_ports(ports)
    if not refresh:
        found = _found.get(chosen)
        if found is not None:
            return found
    with _lock:
        if not refresh and chosen in _found:
            return _found[chosen]
        urls = [f"http://{LOOPBACK}:{port}" for port in chosen]
        probe_deadline = time.monotonic() + PROBE_DEADLINE
        if deadline is not None:
            probe_deadline = min(probe_deadline, deadline)
        pool = deadline_pools(
            urllib3.PoolManager(num_pools=len(urls), timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT))
        )
        # Imported here: only a search for Pieces OS uses it, and most programs name their host.
        from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

        executor = ThreadPoolExecutor(max_workers=min(len(urls), 40), thread_name_prefix="pieces-os-discovery")
        # The first port that answered 200, but not as Pieces OS does: taken only when no port
        # answers as Pieces OS, so that the caller says what is there rather than "nothing".
        other: Optional[str] = None
        try:
            answers = [executor.submit(_answers, pool, url, probe_deadline) for url in urls]
            # In list order: a later port is taken only once every earlier one has said no.
            for url, answer in zip(urls, answers):
                try:
                    # The probe itself ends by its deadline (a connection still being opened then
                    # counts as no answer).
                    answered = answer.result(timeout=max(probe_deadline - time.monotonic(), 0.0) + 0.05)
                except FutureTimeout:
                    answered = _NO_ANSWER
                if answered == _OTHER_SERVER:
                    other = other or url
                    continue
                if not answered and deadline is not None and time.monotonic() >= deadline:
                    raise ApiTimeoutError(
                        f"The search for Pieces OS on {LOOPBACK} ports {describe_ports(chosen)} did not end"
                        " within the deadline of the call. Give the host (Configuration(host=...) or"
                        " PIECES_OS_URL), or the call more time.",
                        host=LOOPBACK, method="GET", url=HEALTH_PATH,
                    )
                if answered:
                    logger.debug("found Pieces OS at %s", url)
                    _found[chosen] = url
                    return url
        finally:
            # Probes still running end within their timeouts; nobody waits for them.
            executor.shutdown(wait=False, cancel_futures=True)
        if other is not None:
            logger.debug("only %s answered, and not as Pieces OS does", other)
            return other
    raise ApiConnectionError(
        f"No Pieces OS answered GET {HEALTH_PATH} on {LOOPBACK} ports {describe_ports(chosen)}."
        " Start Pieces OS, or give its address: Configuration(host='http://localhost:39300')"
        f" or the PIECES_OS_URL environment variable (ports to search: {PORTS_ENVIRONMENT_VARIABLE}).",
        host=LOOPBACK, method="GET", url=HEALTH_PATH,
    )


def forget() -> None:
    """Forget every Pieces OS found so far; the next default request searches again."""
    with _lock:
        _found.clear()


def forget_found(ports: Iterable[int], url: str) -> None:
    """Forget that ``url`` was found on ``ports`` (a connection to it failed): the next call that
    needs a host searches again. Something found since, at another URL, is kept."""
    chosen = tuple(ports)
    with _lock:
        if _found.get(chosen) == url:
            del _found[chosen]
