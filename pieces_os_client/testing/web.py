"""What every endpoint shares: reading a request (body, flags, ids) and writing the answer.

Request bodies are parsed into the SDK's own models straight from the bytes and responses are
the SDK's models written with their JSON keys. A refusal is an ``ApiError``; the application's
exception handlers turn it into a text/plain answer that names the problem.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Type, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from pieces_os_client._models import PiecesModel
from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.classify import SPECIFIC_VALUES
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.store import AssetStore
from pieces_os_client.testing.validation import unknown_enum_values

M = TypeVar("M", bound=BaseModel)

Endpoint = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """Ends a request with ``status`` and a text/plain ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def text(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> Response:
    return PlainTextResponse(message if message.endswith("\n") else message + "\n", status, headers)


def not_implemented(name: str, method: str, path: str, reason: Optional[str] = None) -> Response:
    """The 501 of an operation the emulator does not implement: a JSON body naming it, and why
    when there is more to say than that."""
    message = f"the Pieces OS emulator does not implement {name} ({method} {path})"
    return JSONResponse({
        "error": "not implemented",
        "operation": name,
        "message": message if reason is None else f"{message}: {reason}",
    }, status_code=501)


def json_answer(data: Any) -> Response:
    """A 200 answer holding ``data`` (JSON data: dicts, lists, text, numbers) as JSON."""
    return Response(json.dumps(data, ensure_ascii=False), 200, media_type="application/json")


def json_response(model: PiecesModel) -> Response:
    return Response(model.to_json(), 200, media_type="application/json")


def _describe(error: ValidationError, model: Type[BaseModel]) -> str:
    problems = []
    for item in error.errors(include_url=False)[:5]:
        if item["type"] == "json_invalid":
            return f"the body is not valid JSON: {item['msg']}"
        location = ".".join(str(part) for part in item["loc"]) or "(the body)"
        problems.append(f"`{location}`: {item['msg']}")
    more = error.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"the body is not a valid {model.__name__}: " + "; ".join(problems) + suffix


# A \u escape of a surrogate: only through one can JSON carry a lone surrogate (raw bytes that
# are not UTF-8 fail the parse anyway).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any) -> Optional[str]:
    """The first string in ``value`` (keys included) with a lone surrogate, which no store or
    answer can encode as UTF-8; None when there is none."""
    strings = value.items() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    for item in strings:
        for part in item if isinstance(value, dict) else (item,):
            if isinstance(part, str):
                try:
                    part.encode("utf-8")
                except UnicodeEncodeError:
                    return part
            elif isinstance(part, (dict, list)):
                found = _lone_surrogate(part)
                if found is not None:
                    return found
    return None


def _refuse_lone_surrogates(raw: bytes) -> None:
    if _SURROGATE_ESCAPE.search(raw) is None:
        return
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return  # the parse that follows says what is wrong with it
    found = _lone_surrogate(data)
    if found is not None:
        shown = found.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:80]
        raise ApiError(400, f"the body has a string with a lone surrogate, which is not text: {shown!r}")


async def read_body(request: Request) -> bytes:
    """The body, refused with 413 past the application's ``max_body_bytes``, and with 400 when
    a string in it has a lone surrogate (a ``\\ud800`` escape without its pair)."""
    limit: int = request.app.state.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is {int(declared)} bytes; the limit is {limit} bytes")
    chunks: List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    _refuse_lone_surrogates(raw)
    return raw


async def json_object(request: Request, model: str, required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """A body that must be a JSON object (for models the emulator reads field by field)."""
    raw = await read_body(request)
    if not raw.strip():
        if required:
            raise ApiError(400, f"the request needs a JSON {model} body")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the body is not a valid {model}: it must be a JSON object")
    for key in required:
        if key not in data:
            raise ApiError(400, f"the body is not a valid {model}: `{key}` is required")
    return data


async def reclassification(request: Request, model: str, target: str) -> Tuple[str, str]:
    """(ext, the id of ``target``) of an AssetReclassification or FormatReclassification body."""
    body = await json_object(request, model, (target, "ext"))
    ext = body["ext"]
    if ext not in SPECIFIC_VALUES:
        raise ApiError(400, f"the body is not a valid {model}: `ext` {ext!r} is not a ClassificationSpecificEnum value")
    given = body[target]
    if not isinstance(given, dict) or not isinstance(given.get("id"), str):
        raise ApiError(400, f"the body is not a valid {model}: `{target}.id` is required")
    return ext, given["id"]


async def parse(
    request: Request, model: Type[M], required: bool, defaults: Optional[Dict[str, Any]] = None
) -> Optional[M]:
    """The body as ``model``; None when it is empty and not ``required``.

    ``defaults`` fills top-level keys that a JSON object body leaves out.
    """
    raw = await read_body(request)
    if not raw.strip():
        if required:
            raise ApiError(400, f"the request needs a JSON {model.__name__} body")
        return None
    if len(raw) < OFF_LOOP_BYTES:
        return _validated(raw, model, defaults)
    # A large body takes long to parse: not on the event loop, which other clients wait on.
    return await run_in_threadpool(_validated, raw, model, defaults)


#: Bodies at least this large are parsed (and their assets built and stored) on a worker
#: thread, so that the server's event loop goes on answering other clients meanwhile.
OFF_LOOP_BYTES = 256 * 1024


def _validated(raw: bytes, model: Type[M], defaults: Optional[Dict[str, Any]]) -> M:
    try:
        if defaults is None:
            parsed = model.model_validate_json(raw)
        else:
            parsed = model.model_validate(_with_defaults(raw, defaults))
    except ValidationError as error:
        raise ApiError(400, _describe(error, model)) from None
    unknown = unknown_enum_values(parsed)
    if unknown:
        raise ApiError(400, f"the body is not a valid {model.__name__}: " + "; ".join(unknown[:5]))
    return parsed


def _with_defaults(raw: bytes, defaults: Dict[str, Any]) -> Any:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the body is not valid JSON: {error}") from None
    if isinstance(data, dict):
        for key, value in defaults.items():
            data.setdefault(key, value)
    return data


async def parse_required(request: Request, model: Type[M], defaults: Optional[Dict[str, Any]] = None) -> M:
    parsed = await parse(request, model, required=True, defaults=defaults)
    assert parsed is not None
    return parsed


def flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ApiError(400, f"query parameter `{name}` must be true or false, got {value!r}")


def path_id(request: Request, name: str, what: str) -> str:
    """The UUID in path parameter ``name``, in its canonical form; 400 when it is not one."""
    value = str(request.path_params[name])
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, f"{value!r} is not {what} id: {what.split()[-1]} ids are UUIDs") from None


def asset_id(request: Request) -> str:
    return path_id(request, "asset", "an asset")


def store_of(request: Request) -> AssetStore:
    store: AssetStore = request.app.state.store
    return store


def stored(request: Request) -> AssetRecord:
    """The asset the path names: 404 when unknown, 410 when it was deleted."""
    wanted = asset_id(request)
    store = store_of(request)
    record = store.get(wanted)
    if record is not None:
        return record
    if store.was_deleted(wanted):
        raise ApiError(410, f"asset {wanted} was deleted and is gone")
    raise ApiError(404, f"no asset with id {wanted}")


def view(record: AssetRecord, transferables: bool) -> Asset:
    return record.asset if transferables else record.lite
