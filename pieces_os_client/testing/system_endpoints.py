"""WellKnownApi and OSApi: what Pieces OS says about itself and this machine.

The emulator answers as a Pieces OS running headless: nothing it does opens a window, a dialog
or a browser, so the operations that exist to show one answer 501 saying so (the reasons below,
which the route table gives them). The settings are kept in the store; restarting, terminating and the other
housekeeping requests are accepted and change nothing (the emulator stops when its owner stops
it). The user (UserApi, sign-in and sign-out) is in user_endpoints.

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
import stat
from typing import Any, Dict, Optional, Type

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

import pieces_os_client
from pieces_os_client._models import PiecesModel
from pieces_os_client.models.nano_models_preparation_input import NanoModelsPreparationInput
from pieces_os_client.models.os_permissions import OSPermissions
from pieces_os_client.models.os_server_settings import OSServerSettings
from pieces_os_client.models.terminating_os_server_applet import TerminatingOSServerApplet
from pieces_os_client.testing.seeds import readable_size
from pieces_os_client.testing.store import AssetStore, Draft, Json
from pieces_os_client.testing.web import ApiError, Endpoint, json_answer, parse, read_body, store_of

#: The first major version of Pieces OS whose health text carries the instance id.
HEALTH_WITH_ID_SINCE = 11


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


#: What ``/.well-known/stream/health`` says, whatever the version: the official Python SDK's health
#: stream compared its messages with ``"OK"`` until December 2024 and the Pieces CLI of 2025
#: compares them, lowercased, with ``"ok"``, so neither carries the instance id.
STREAM_HEALTH = "OK"


def stream_health_message(store: AssetStore) -> str:
    return STREAM_HEALTH


async def stream_health(request: Request) -> Response:
    """A plain GET of ``/.well-known/stream/health`` (the 4.x SDK's get_well_known_stream_health):
    the text its WebSocket sends."""
    return PlainTextResponse(STREAM_HEALTH)


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
    return json_answer(device_information())


#: The emulator is whatever version it was told to be: there is never an update to it.
UPDATE_STATUS: Json = {"status": "UP_TO_DATE"}


async def os_update_check(request: Request) -> Response:
    return json_answer(UPDATE_STATUS)


def update_status_message(store: AssetStore) -> str:
    """The one message of ``/os/update/check/stream``: an OSServerUpdateStatus."""
    return json.dumps(UPDATE_STATUS)


async def installation_path(request: Request) -> Response:
    """``/.well-known/installation/path``: where this Pieces OS is installed, here the folder of the
    package the emulator runs from."""
    return PlainTextResponse(os.path.dirname(os.path.abspath(pieces_os_client.__file__)))


# ----- permissions, housekeeping -----------------------------------------------------------------


def permissions(system: str) -> Json:
    """OSPermissions on ``system`` (as ``platform.system()`` names it). Only macOS makes an
    application ask for screen recording (``vision``) and accessibility, and it grants neither to
    the emulator, which never asks; other systems have nothing to grant, so both are held."""
    held = system != "Darwin"
    return {"processing": {"vision": held, "accessibility": held}}


async def os_permissions(request: Request) -> Response:
    return json_answer(permissions(platform.system()))


async def os_permissions_request(request: Request) -> Response:
    # Asking shows the system's own dialog on macOS; headless, nothing is asked and nothing changes.
    await parse(request, OSPermissions, required=False)
    return json_answer(permissions(platform.system()))


def accepted(name: str, body: Optional[Type[PiecesModel]] = None) -> Endpoint:
    """An operation that answers 204 and changes nothing the emulator keeps (restart, terminate,
    memory optimization, preparing models, terminating an applet that is not running); its
    ``body``, when it takes one, is still checked."""
    async def endpoint(request: Request) -> Response:
        if body is not None:
            await parse(request, body, required=False)
        return Response(status_code=204)

    endpoint.__name__ = name
    return endpoint


os_restart = accepted("os_restart")
os_terminate = accepted("os_terminate")
os_memory_optimize = accepted("os_memory_optimize")
os_nano_models_prepare = accepted("os_nano_models_prepare", NanoModelsPreparationInput)
os_applet_terminate = accepted("os_applet_terminate", TerminatingOSServerApplet)

# Why the operations that exist to open a window, a dialog or a browser on the user's screen are
# declined (501): the route table gives each its reason.
NO_DIALOG = "it runs headless and opens no file or folder picker: give your plugin the path instead"
NO_BROWSER = "it runs headless and opens no browser"
NO_FILE_OPENING = "it runs headless and opens no file in another application"
NO_SIGN_IN = "signing in is a browser round trip, and it runs headless; UserApi.select_user signs a user in"
NO_APPLETS = "it runs headless and has none of Pieces' own windows (applets) to launch or restart"


# ----- metadata ----------------------------------------------------------------------------------


def totals(store: AssetStore) -> Json:
    """TrackedSummaryTotals of what the store keeps; what the emulator keeps none of (persons,
    shares, copilot exchanges, searches, reports) counts 0."""
    records = store.records()
    anchors = store.entities("anchors")

    def score(name: str) -> int:
        return sum(getattr(record.asset.score, name, None) or 0 for record in records if record.asset.score)

    def sensitives() -> int:
        return sum(len(record.asset.sensitives.iterable or []) for record in records if record.asset.sensitives)

    kept = {
        "assets": len(records), "tags": len(store.entities("tags")), "websites": len(store.entities("websites")),
        "sensitives": sensitives(), "copilot_conversations": len(store.entities("conversations")),
        "references": score("reference"), "reuses": score("reuse"),
        "anchor_files": sum(1 for anchor in anchors if anchor.get("type") == "FILE"),
        "anchor_folders": sum(1 for anchor in anchors if anchor.get("type") == "DIRECTORY"),
    }
    none_kept = ("persons", "shares", "copilot_sends", "copilot_receives", "copilot_sessions", "productivity_score",
                 "searches", "isr_reports")
    return dict(kept, **{name: 0 for name in none_kept})


async def os_metadata(request: Request) -> Response:
    return json_answer({"totals": totals(store_of(request))})


# ----- settings ----------------------------------------------------------------------------------

#: Where the settings are kept: one entity of the store, so they last as long as the assets do.
SETTINGS_KIND, SETTINGS_ID = "settings", "os"
#: The settings of a Pieces OS nobody changed: the emulator starts when it is started, not at login.
DEFAULT_SETTINGS: Json = {"autoboot": False}


def settings_in(store: AssetStore) -> Json:
    kept = store.entity(SETTINGS_KIND, SETTINGS_ID)
    return dict(DEFAULT_SETTINGS) if kept is None else dict(kept["settings"])


def settings_message(store: AssetStore) -> str:
    """A message of ``/os/settings/stream``: every setting, on connect and after each change."""
    return json.dumps(settings_in(store), ensure_ascii=False)


async def os_settings_snapshot(request: Request) -> Response:
    return json_answer(settings_in(store_of(request)))


async def os_settings_update(request: Request) -> Response:
    """The fields the body gives replace the kept ones (unknown fields a newer client sends are
    kept too); the answer is every setting."""
    given = await parse(request, OSServerSettings, required=False)
    changes: Json = {} if given is None else json.loads(given.to_json())

    def apply(draft: Draft) -> Json:
        kept = draft.entity(SETTINGS_KIND, SETTINGS_ID)
        settings = dict(DEFAULT_SETTINGS) if kept is None else kept["settings"]
        settings.update(changes)
        draft.put_entity(SETTINGS_KIND, {"id": SETTINGS_ID, "settings": settings})
        return settings

    return json_answer(store_of(request).write(apply))


# ----- the filesystem ----------------------------------------------------------------------------


def verified_path(path: str) -> Json:
    """VerifiedOSFilesystemPath of ``path`` on this machine: ``verified`` when it exists,
    ``denied`` when it (or a folder on the way) may not be read, ``bytes`` the size of a file."""
    found: Json = {"path": path, "verified": False}
    try:
        status = os.stat(path)
    except PermissionError:
        return dict(found, denied=True)
    except (OSError, ValueError):  # ValueError: a NUL in the path, which no file has
        return found
    is_file, is_directory = stat.S_ISREG(status.st_mode), stat.S_ISDIR(status.st_mode)
    readable = os.access(path, os.R_OK | (os.X_OK if is_directory else 0))
    found.update(verified=True, file=is_file, directory=is_directory, denied=not readable)
    if is_file:
        found["bytes"] = {"value": status.st_size, "readable": readable_size(status.st_size)}
    return found


async def os_filesystem_path_verify(request: Request) -> Response:
    raw = await read_body(request)
    try:
        path = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        path = None
    if not isinstance(path, str) or not path:
        raise ApiError(400, 'the body must be the path to verify, as a JSON string (e.g. "/home/me/notes")')
    return json_answer(verified_path(path))
