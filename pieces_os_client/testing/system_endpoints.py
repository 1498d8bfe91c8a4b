"""WellKnownApi, OSApi and UserApi: what Pieces OS says about itself, this machine and the user.

The emulator has no accounts: it answers as a Pieces OS on which nobody signed in.

The health text follows the version the emulator says it is: Pieces OS before 11 answered
``ok`` (the generated SDK's documentation of the 10.x era, and clients of 2024 comparing with
``"ok"``), later releases ``ok:`` and the instance id (12.x; clients now check the ``ok`` prefix).
docs/testing.md gives the evidence.
"""
from __future__ import annotations

import json
import os
import platform
import re
from typing import Any, Dict, Optional

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pieces_os_client.testing.web import ApiError, store_of

#: The first major version of Pieces OS whose health text carries the instance id.
HEALTH_WITH_ID_SINCE = 11


def _answer(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), 200, media_type="application/json")


def _major(version: str) -> Optional[int]:
    found = re.match(r"\s*v?(\d+)", version)
    return int(found.group(1)) if found else None


def health_text(version: str, instance: str) -> str:
    """What ``GET /.well-known/health`` answers for a Pieces OS of ``version``."""
    major = _major(version)
    if major is not None and major < HEALTH_WITH_ID_SINCE:
        return "ok"
    return f"ok:{instance}"


async def health(request: Request) -> Response:
    return PlainTextResponse(health_text(request.app.state.version, store_of(request).creator))


async def version(request: Request) -> Response:
    return PlainTextResponse(request.app.state.version)


def _memory() -> Optional[int]:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def device_information() -> Dict[str, Any]:
    """This machine as OSDeviceInformationReturnable: 2.2.0's ``hardware.cpu`` and the
    ``hardware.cpus`` and ``hardware.ram`` of later versions."""
    processor = platform.processor() or platform.machine() or "unknown"
    memory = _memory()
    cpu: Dict[str, Any] = {"name": processor}
    cpus: Dict[str, Any] = {"name": processor}
    if os.cpu_count():
        cpus["cores"] = os.cpu_count()
    hardware: Dict[str, Any] = {"cpu": cpu, "cpus": [cpus]}
    if memory is not None:
        cpu["memory"] = memory
        hardware["ram"] = {"memory": memory}
    return {"name": platform.node() or "localhost", "version": f"{platform.system()} {platform.release()}".strip(),
            "hardware": hardware}


async def os_device_information(request: Request) -> Response:
    return _answer(device_information())


async def sign_out(request: Request) -> Response:
    # Nobody is signed in: signing out leaves no users.
    return _answer({"iterable": []})


async def user_snapshot(request: Request) -> Response:
    """``/user`` and ``/user/providers``: a ReturnedUserProfile without ``user``, nobody is signed in."""
    return _answer({})


async def refresh_user(request: Request) -> Response:
    raise ApiError(500, "no user is signed in to this Pieces OS: there is no user to refresh")


async def clear_user(request: Request) -> Response:
    # Nobody is signed in: there is nothing to clear.
    return Response(status_code=204)


async def os_update_check(request: Request) -> Response:
    # The emulator is whatever version it was told to be: there is never an update to it.
    return _answer({"status": "UP_TO_DATE"})
