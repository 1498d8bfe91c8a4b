"""ConnectorApi, ApplicationsApi and ApplicationApi: how a plugin introduces itself.

``connect`` registers the application (name, version and platform identify it: connecting again
returns the same one) and answers a Context naming this Pieces OS. The other connector
operations take the application's id in the path: an id that never connected answers 401, as
Pieces OS answers an unknown application. Applications and sessions are entities of the store.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, List, Optional

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pieces_os_client.models.application import Application
from pieces_os_client.models.application_name_enum import ApplicationNameEnum
from pieces_os_client.models.capabilities_enum import CapabilitiesEnum
from pieces_os_client.models.platform_enum import PlatformEnum
from pieces_os_client.models.privacy_enum import PrivacyEnum
from pieces_os_client.models.seed import Seed
from pieces_os_client.models.seeded_connector_tracking import SeededConnectorTracking
from pieces_os_client.testing.search import search
from pieces_os_client.testing.seeds import build_asset, grouped_timestamp, now_utc, read_content
from pieces_os_client.testing.store import AssetStore, Draft, Json
from pieces_os_client.testing.user_endpoints import signed_in
from pieces_os_client.testing.validation import InvalidRequestError
from pieces_os_client.testing.web import ApiError, json_object, parse_required, path_id, store_of, view

# What a connector's acknowledgements say (the body of track, onboarded and intention).
ACKNOWLEDGED = "OK"


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), 200, media_type="application/json")


def _enum(data: Json, key: str, enum: Any, model: str, default: Optional[str] = None) -> str:
    value = data.get(key, default)
    allowed = [member.value for member in enum]
    if value not in allowed:
        shown = ", ".join(allowed[:8]) + (", ..." if len(allowed) > 8 else "")
        raise ApiError(400, f"the body is not a valid {model}: `{key}` {value!r} is not a {enum.__name__} value ({shown})")
    return str(value)


def _tracked_application(data: Json, where: str) -> Json:
    """The Application a SeededTrackedApplication describes (without an id)."""
    model = "SeededTrackedApplication"
    if not isinstance(data, dict):
        raise ApiError(400, f"the body is not a valid SeededConnectorConnection: `{where}` must be an object")
    version = data.get("version")
    if not isinstance(version, str):
        raise ApiError(400, f"the body is not a valid {model}: `{where}.version` must be a string")
    automatic_unload = data.get("automaticUnload", False)
    if not isinstance(automatic_unload, bool):
        raise ApiError(400, f"the body is not a valid {model}: `{where}.automaticUnload` must be true or false")
    return {
        "name": _enum(data, "name", ApplicationNameEnum, model),
        "version": version,
        "platform": _enum(data, "platform", PlatformEnum, model),
        "onboarded": False,
        "privacy": _enum(data, "privacy", PrivacyEnum, model, "OPEN"),
        "capabilities": _enum(data, "capabilities", CapabilitiesEnum, model, "BLENDED"),
        "mechanism": "MANUAL",
        "automaticUnload": automatic_unload,
    }


def _same_application(left: Json, right: Json) -> bool:
    return all(left.get(key) == right.get(key) for key in ("name", "version", "platform"))


def context(request: Request, application: Json) -> Json:
    """The Context a connect answers: this Pieces OS, the application, and the signed-in user if any."""
    store = store_of(request)
    answer: Json = {"os": store.creator, "application": application,
                    "health": {"os": {"id": store.creator, "version": request.app.state.version}}}
    user = signed_in(store)
    if user is not None:
        answer["user"] = user
    return answer


async def connect(request: Request) -> Response:
    data = await json_object(request, "SeededConnectorConnection", ("application",))
    wanted = _tracked_application(data["application"], "application")

    def register(draft: Draft) -> Json:
        for known in draft.entities_of("applications"):
            if _same_application(known, wanted):
                return known
        application = dict(wanted, id=str(uuid.uuid4()))
        draft.put_entity("applications", application)
        return application

    return _json(context(request, store_of(request).write(register)))


def _application_of(request: Request) -> Json:
    """The registered application the path names; 401 when it never connected."""
    application_id = str(request.path_params["application"])
    found = store_of(request).entity("applications", application_id)
    if found is None:
        raise ApiError(401, f"application {application_id} is not registered with this Pieces OS: call connect first")
    return found


async def track(request: Request) -> Response:
    _application_of(request)
    await parse_required(request, SeededConnectorTracking)
    return PlainTextResponse(ACKNOWLEDGED)


async def onboarded(request: Request) -> Response:
    application = _application_of(request)
    raw = (await request.body()).strip()
    if raw not in (b"true", b"false", b""):
        raise ApiError(400, "the body must be true or false")
    application["onboarded"] = raw != b"false"
    store_of(request).write(lambda draft: draft.put_entity("applications", application))
    return PlainTextResponse(ACKNOWLEDGED)


def _seed_of(data: Any, where: str) -> Seed:
    """The Seed a SeededConnectorAsset makes (metadata and format), checked as a create would."""
    if not isinstance(data, dict) or "format" not in data:
        raise ApiError(400, f"the body is not valid: `{where}.format` is required")
    try:
        seed = Seed.model_validate({"type": "SEEDED_ASSET", "asset": {
            "application": data.get("application") or _PLACEHOLDER, "format": data["format"],
            "metadata": data.get("metadata"),
        }})
        assert seed.asset is not None
        read_content(seed.asset.format, f"{where}.format")
    except (ValueError, InvalidRequestError) as error:
        raise ApiError(400, f"`{where}` is not a valid SeededConnectorAsset: {error}") from None
    return seed


# A seed needs an application; the connector's own stands in (replaced before anything is stored).
_PLACEHOLDER = {"id": "connector", "name": "UNKNOWN", "version": "0", "platform": "UNKNOWN",
                "onboarded": False, "privacy": "OPEN"}


def _with_application(seed: Seed, application: Json) -> Seed:
    data = seed.to_dict()
    data["asset"]["application"] = application
    return Seed.model_validate(data)


async def intention(request: Request) -> Response:
    _application_of(request)
    data = await json_object(request, "SeededConnectorAsset", ("format",))
    _seed_of(data, "(the body)")
    return PlainTextResponse(ACKNOWLEDGED)


def _similar(store: AssetStore, seed: Seed) -> List[Any]:
    assert seed.asset is not None
    content = read_content(seed.asset.format, "asset.format")
    text = (content.text or "").strip()
    if not text:
        return []
    exact = [record for record in store.records() if record.text.strip() == text]
    if exact:
        return exact
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return [hit.record for hit in search(store.records(), first_line[:80]) if hit.exact][:5]


async def suggest(request: Request) -> Response:
    """A Suggestion: reuse the saved assets holding this content, or save it when none does."""
    _application_of(request)
    data = await json_object(request, "SeededConnectorCreation")
    asset = data.get("asset")
    store = store_of(request)
    similar = _similar(store, _seed_of(asset, "asset")) if asset is not None else []
    assets = {"iterable": [json.loads(view(record, True).to_json()) for record in similar]}
    return _json({
        "reuse": {"suggested": bool(similar), "assets": assets},
        "save": {"suggested": asset is not None and not similar},
        "target": {"seed": data, "vector": 0},
        "assets": assets,
    })


async def react(request: Request) -> Response:
    """A Reaction to a suggestion: saving it stores the asset and answers its id."""
    application = _application_of(request)
    data = await json_object(request, "Reaction", ("save", "seed"))
    if not isinstance(data["save"], bool):
        raise ApiError(400, "the body is not a valid Reaction: `save` must be true or false")
    seeded = data["seed"].get("asset") if isinstance(data["seed"], dict) else None
    if not data["save"] or seeded is None:
        return PlainTextResponse(ACKNOWLEDGED)
    seed = _with_application(_seed_of(seeded, "seed.asset"), application)
    store = store_of(request)
    record = store.add(build_asset(seed, store.creator, now_utc()))
    return PlainTextResponse(record.id)


# ----- applications ---------------------------------------------------------------------------------


async def applications_snapshot(request: Request) -> Response:
    return _json({"iterable": store_of(request).entities("applications")})


async def applications_register(request: Request) -> Response:
    given = await parse_required(request, Application)
    application: Json = json.loads(given.to_json())
    store_of(request).write(lambda draft: draft.put_entity("applications", application))
    return _json(application)


async def application_snapshot(request: Request) -> Response:
    application_id = str(request.path_params["application"])
    found = store_of(request).entity("applications", application_id)
    if found is None:
        raise ApiError(404, f"no application with id {application_id}")
    return _json(found)


async def application_update(request: Request) -> Response:
    given = await parse_required(request, Application)
    application: Json = json.loads(given.to_json())
    store = store_of(request)

    def change(draft: Draft) -> None:
        if draft.entity("applications", application["id"]) is None:
            raise ApiError(404, f"no application with id {application['id']}")
        draft.put_entity("applications", application)

    store.write(change)
    return _json(application)


async def session_open(request: Request) -> Response:
    session_id = str(uuid.uuid4())
    session: Json = {"id": session_id, "opened": grouped_timestamp(now_utc())}
    store = store_of(request)
    store.write(lambda draft: draft.put_entity("sessions", session))
    return _json(store.entity("sessions", session_id))


async def session_close(request: Request) -> Response:
    raw = (await request.body()).strip()
    try:
        session_id = json.loads(raw) if raw else None
    except ValueError:
        session_id = raw.decode("utf-8", "replace")
    if not isinstance(session_id, str):
        raise ApiError(400, "the body must be the id of an open session (a JSON string)")
    store = store_of(request)

    def close(draft: Draft) -> None:
        session = draft.entity("sessions", session_id)
        if session is None:
            raise ApiError(404, f"no session with id {session_id}")
        session.setdefault("closed", grouped_timestamp(now_utc()))
        draft.put_entity("sessions", session)

    store.write(close)
    return _json(store.entity("sessions", session_id))


async def session_snapshot(request: Request) -> Response:
    session_id = path_id(request, "session", "a session")
    found = store_of(request).entity("sessions", session_id)
    if found is None:
        raise ApiError(404, f"no session with id {session_id}")
    return _json(found)

