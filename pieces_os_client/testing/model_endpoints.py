"""ModelsApi and ModelApi: the catalogue of machine-learning models and their state.

Nothing is downloaded: a download completes at once (``downloaded`` becomes true), loading needs
a downloaded local model, and the state is kept in the store like everything else. Cloud models
need no download and are never loaded on this machine.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.model import Model
from pieces_os_client.testing.store import Draft, Json
from pieces_os_client.testing.web import ApiError, Endpoint, parse_required, path_id, store_of


def _answer(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), 200, media_type="application/json")


def _model_in(draft: Draft, model_id: str) -> Json:
    model = draft.entity("models", model_id)
    if model is None:
        if draft.store.entity_was_deleted("models", model_id):
            raise ApiError(410, f"model {model_id} was deleted and is gone")
        raise ApiError(500, f"no model with id {model_id}")
    return model


async def snapshot(request: Request) -> Response:
    return _answer({"iterable": store_of(request).entities("models")})


async def specific(request: Request) -> Response:
    model_id = path_id(request, "model", "a model")
    store = store_of(request)
    found = store.entity("models", model_id)
    if found is None:
        if store.entity_was_deleted("models", model_id):
            raise ApiError(410, f"model {model_id} was deleted and is gone")
        raise ApiError(404, f"no model with id {model_id}")
    return _answer(found)


def _downloaded(model: Json) -> None:
    if model["cloud"]:
        raise ApiError(400, f"{model['name']} runs in the cloud: there is nothing to download")
    model.update(downloaded=True, downloading=False)


def _cancelled(model: Json) -> None:
    model["downloading"] = False


def _loaded(model: Json) -> None:
    if model["cloud"]:
        raise ApiError(400, f"{model['name']} runs in the cloud: it is not loaded on this machine")
    if not model.get("downloaded"):
        raise ApiError(400, f"{model['name']} is not downloaded: download it before loading it")
    model["loaded"] = True


def _unloaded(model: Json) -> None:
    model["loaded"] = False


def _changing(change: Callable[[Json], None], name: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        model_id = path_id(request, "model", "a model")

        def apply(draft: Draft) -> Json:
            model = _model_in(draft, model_id)
            change(model)
            draft.put_entity("models", model)
            return model

        return _answer(store_of(request).write(apply))

    endpoint.__name__ = name
    return endpoint


download = _changing(_downloaded, "model_download")
download_cancel = _changing(_cancelled, "model_download_cancel")
load = _changing(_loaded, "model_load")
unload = _changing(_unloaded, "model_unload")


async def download_progress(request: Request) -> Response:
    model_id = path_id(request, "model", "a model")
    model = store_of(request).entity("models", model_id)
    if model is None:
        raise ApiError(500, f"no model with id {model_id}")
    if model.get("downloaded"):
        return _answer({"status": "COMPLETED", "percentage": 100})
    return _answer({"status": "INITIALIZED", "percentage": 0})


async def update(request: Request) -> Response:
    """The fields a client may change (name, description, capabilities, ...); state stays the store's."""
    given = await parse_required(request, Model)
    changes: Json = json.loads(given.to_json())

    def apply(draft: Draft) -> Json:
        model = _model_in(draft, changes["id"])
        for key, value in changes.items():
            if key not in ("id", "created", "cloud", "downloaded", "downloading", "loaded"):
                model[key] = value
        draft.put_entity("models", model)
        return model

    return _answer(store_of(request).write(apply))


async def unload_all(request: Request) -> Response:
    def apply(draft: Draft) -> None:
        for model in draft.entities_of("models"):
            if model.get("loaded") and not model.get("cloud") and model.get("usage") != "CODE_CLASSIFICATION":
                draft.put_entity("models", dict(model, loaded=False))

    store_of(request).write(apply)
    return Response(status_code=204)
