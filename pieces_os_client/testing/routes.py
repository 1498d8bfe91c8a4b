"""Every endpoint the emulator serves, in one table; the spec's other operations answer 501.

A row is ``rest(method, path, endpoint)`` or ``stream(path, kind)`` (a WebSocket fed by the
StreamHub), with the path exactly as the spec writes it; ``declined(method, path, reason)`` is an
operation the emulator will not serve, for the reason given. ``unimplemented()`` lists the
operations the SDK's API classes declare (the spec's) that no row serves, declined ones included:
each answers 501 with a JSON body naming it (and the reason, when declined), rather than a 404
that would read like a missing asset.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from pieces_os_client import api
from pieces_os_client._operation import Operation
from pieces_os_client.testing import (
    asset_endpoints as asset,
    assets_endpoints as assets,
    connector_endpoints as connector,
    conversation_endpoints as conversation,
    entity_endpoints as entity,
    format_endpoints as formats,
    model_endpoints as models,
    search_endpoints as searching,
    system_endpoints as system,
    user_endpoints as user,
)
from pieces_os_client.testing.hub import StateStream
from pieces_os_client.testing.web import Endpoint


@dataclass(frozen=True)
class Served:
    """One route: ``endpoint`` answers ``method`` on ``path``; a stream has ``kind`` instead, and
    a declined operation only the ``reason`` it is not served."""

    method: str
    path: str
    endpoint: Optional[Endpoint] = None
    kind: Optional[str] = None
    reason: Optional[str] = None

    @property
    def serves(self) -> bool:
        return self.endpoint is not None or self.kind is not None


def rest(method: str, path: str, endpoint: Endpoint) -> Served:
    return Served(method, path, endpoint=endpoint)


def stream(path: str, kind: str, http: Optional[Endpoint] = None) -> Served:
    """A WebSocket fed by the StreamHub; a plain GET answers 426 naming the WebSocket URL, or
    ``http`` when the spec documents a plain answer too."""
    return Served("GET", path, endpoint=http, kind=kind)


def declined(method: str, path: str, reason: str) -> Served:
    return Served(method, path, reason=reason)


def _entity_routes() -> List[Served]:
    found: List[Served] = []
    for kind in entity.KINDS:
        key, one = kind.key, kind.one
        found += [
            rest("GET", f"/{key}", entity.snapshot(kind)),
            rest("POST", f"/{key}/create", entity.create(kind)),
            rest("POST", f"/{key}/{{{one}}}/delete", entity.delete(kind)),
            rest("GET", f"/{one}/{{{one}}}", entity.specific(kind)),
            rest("POST", f"/{one}/update", entity.update(kind)),
            rest("POST", f"/{one}/{{{one}}}/scores/increment", entity.scores_increment(kind)),
            rest("POST", f"/{one}/{{{one}}}/assets/associate/{{asset}}", entity.associate(kind, True)),
            rest("POST", f"/{one}/{{{one}}}/assets/disassociate/{{asset}}", entity.associate(kind, False)),
            rest("POST", f"/asset/{{asset}}/{key}/associate/{{{one}}}", entity.asset_link(kind, True)),
            rest("POST", f"/asset/{{asset}}/{key}/disassociate/{{{one}}}", entity.asset_link(kind, False)),
            stream(f"/{key}/stream/identifiers", key),
        ]
    found += [
        rest("POST", "/tags/exists", entity.exists(entity.TAGS, "text")),
        rest("POST", "/websites/exists", entity.exists(entity.WEBSITES, "url")),
        rest("POST", "/anchors/{anchor}/assets/delete/{asset}", entity.associate(entity.ANCHORS, False)),
    ]
    return found


def _reference_routes() -> List[Served]:
    """Conversations and messages referring to websites, anchors, annotations and tags, from
    either side (``/conversation/{conversation}/websites/associate/{website}``,
    ``/website/{website}/conversations/associate/{conversation}``, ...)."""
    found: List[Served] = []
    for holder, held in entity.REFERENCES:
        for linking in (True, False):
            verb = "associate" if linking else "disassociate"
            # 2.2.0 unlinks an anchor from a conversation at .../anchors/delete/...
            own_verb = "delete" if (holder, held, linking) == (entity.CONVERSATIONS, entity.ANCHORS, False) else verb
            endpoint = entity.reference(holder, held, linking)
            found += [
                rest("POST", f"/{holder.one}/{{{holder.one}}}/{held.key}/{own_verb}/{{{held.one}}}", endpoint),
                rest("POST", f"/{held.one}/{{{held.one}}}/{holder.key}/{verb}/{{{holder.one}}}", endpoint),
            ]
    return found


ROUTES: Tuple[Served, ...] = (
    # AssetsApi
    rest("GET", "/assets", assets.snapshot),
    rest("POST", "/assets/create", assets.create_asset),
    rest("POST", "/assets/draft", assets.draft_asset),
    rest("GET", "/assets/identifiers", assets.identifiers),
    rest("GET", "/assets/pseudo", assets.pseudo_snapshot),
    rest("GET", "/assets/search", assets.search_assets),
    rest("POST", "/assets/search", assets.search_with_filters),
    rest("GET", "/assets/related", assets.related_assets),
    rest("GET", "/assets/recommended", assets.recommended_assets),
    rest("GET", "/assets/{asset}", assets.specific_asset),
    rest("GET", "/assets/{asset}/formats", assets.specific_asset_formats),
    rest("POST", "/assets/{asset}/delete", assets.delete_asset),
    stream("/assets/stream", "assets"),
    stream("/assets/stream/identifiers", "identifiers"),
    stream("/assets/stream/transferables", "transferables"),
    stream("/workstream/suggestions/stream", "suggestions"),
    # AssetApi
    rest("POST", "/asset/update", asset.update),
    rest("POST", "/asset/reclassify", asset.reclassify),
    rest("GET", "/asset/{asset}", asset.snapshot),
    rest("POST", "/asset/{asset}", asset.snapshot_post),
    rest("GET", "/asset/{asset}/formats", asset.formats),
    rest("GET", "/asset/{asset}/activities", asset.activities),
    rest("GET", "/asset/{asset}/conversations", asset.conversations),
    rest("GET", "/asset/{asset}/export", asset.export),
    rest("POST", "/asset/{asset}/scores/increment", asset.scores_increment),
    *(
        rest("POST", f"/asset/{{asset}}/{key}/{verb}/{{{one}}}", asset.unknown_link(one, what))
        for key, one, what in asset.UNKEPT_LINKS
        for verb in ("associate", "disassociate")
    ),
    # TagsApi/TagApi, WebsitesApi/WebsiteApi, AnnotationsApi/AnnotationApi, AnchorsApi/AnchorApi
    *_entity_routes(),
    # ConversationsApi, ConversationApi
    rest("GET", "/conversations", entity.snapshot(entity.CONVERSATIONS)),
    rest("POST", "/conversations/create", conversation.create_conversation),
    rest("POST", "/conversations/create/from_asset/{asset}", conversation.create_from_asset),
    rest("GET", "/conversations/identifiers", conversation.identifiers),
    rest("POST", "/conversations/{conversation}/delete", conversation.delete_conversation),
    rest("GET", "/conversation/{conversation}", entity.specific(entity.CONVERSATIONS)),
    rest("POST", "/conversation/update", entity.update(entity.CONVERSATIONS)),
    rest("GET", "/conversation/{conversation}/messages", conversation.conversation_messages),
    rest("POST", "/conversation/{conversation}/rename", conversation.rename),
    rest("POST", "/conversation/{conversation}/grounding/messages/associate/{message}", conversation.ground(True)),
    rest("POST", "/conversation/{conversation}/grounding/messages/disassociate/{message}", conversation.ground(False)),
    rest("POST", "/conversation/{conversation}/scores/increment", entity.scores_increment(entity.CONVERSATIONS)),
    rest("POST", "/conversation/{conversation}/assets/associate/{asset}", entity.associate(entity.CONVERSATIONS, True)),
    rest("POST", "/conversation/{conversation}/assets/delete/{asset}", entity.associate(entity.CONVERSATIONS, False)),
    rest("POST", "/asset/{asset}/conversations/associate/{conversation}", entity.asset_link(entity.CONVERSATIONS, True)),
    rest("POST", "/asset/{asset}/conversations/disassociate/{conversation}",
         entity.asset_link(entity.CONVERSATIONS, False)),
    stream("/conversations/stream/identifiers", "conversations"),
    # ConversationMessagesApi, ConversationMessageApi
    rest("GET", "/messages", conversation.messages_snapshot),
    rest("POST", "/messages/create", conversation.create_message),
    rest("POST", "/messages/{message}/delete", conversation.delete_message),
    rest("GET", "/message/{message}", conversation.message_snapshot),
    rest("POST", "/message/update", entity.update(entity.MESSAGES)),
    rest("POST", "/message/update/value", entity.update(entity.MESSAGES)),
    rest("POST", "/message/{message}/scores/increment", entity.scores_increment(entity.MESSAGES)),
    rest("POST", "/message/{message}/assets/associate/{asset}", entity.associate(entity.MESSAGES, True)),
    rest("POST", "/message/{message}/assets/disassociate/{asset}", entity.associate(entity.MESSAGES, False)),
    rest("POST", "/asset/{asset}/messages/associate/{message}", entity.asset_link(entity.MESSAGES, True)),
    rest("POST", "/asset/{asset}/messages/disassociate/{message}", entity.asset_link(entity.MESSAGES, False)),
    stream("/messages/stream/identifiers", "messages"),
    *_reference_routes(),
    # ConnectorApi
    rest("POST", "/connect", connector.connect),
    rest("POST", "/{application}/track", connector.track),
    rest("POST", "/{application}/onboarded", connector.onboarded),
    rest("POST", "/{application}/intention", connector.intention),
    rest("POST", "/{application}/reaction", connector.react),
    rest("POST", "/{application}/suggestion", connector.suggest),
    # ApplicationsApi, ApplicationApi
    rest("GET", "/applications", connector.applications_snapshot),
    rest("POST", "/applications/register", connector.applications_register),
    rest("GET", "/applications/{application}", connector.application_snapshot),
    rest("POST", "/applications/session/open", connector.session_open),
    rest("POST", "/applications/session/close", connector.session_close),
    rest("GET", "/applications/sessions/{session}", connector.session_snapshot),
    rest("POST", "/application/update", connector.application_update),
    stream("/applications/stream/identifiers", "applications"),
    # FormatApi, FormatsApi
    rest("GET", "/format/{format}", formats.snapshot),
    rest("POST", "/format/update/value", formats.update_value),
    rest("POST", "/format/reclassify", formats.reclassify),
    rest("GET", "/format/{format}/analysis", formats.analysis),
    rest("GET", "/formats", formats.formats_snapshot),
    rest("GET", "/formats/{format}", formats.snapshot),
    stream("/formats/stream/identifiers", "formats"),
    # SearchApi
    rest("GET", "/search/full_text", searching.full_text),
    rest("GET", "/search/neural_code", searching.full_text),
    rest("POST", "/search/tag_based", searching.tag_based),
    # ModelsApi, ModelApi
    rest("GET", "/models", models.snapshot),
    rest("POST", "/models/unload", models.unload_all),
    rest("GET", "/model/{model}", models.specific),
    rest("POST", "/model/update", models.update),
    rest("POST", "/model/{model}/download", models.download),
    rest("POST", "/model/{model}/download/cancel", models.download_cancel),
    rest("GET", "/model/{model}/download/progress", models.download_progress),
    rest("POST", "/model/{model}/load", models.load),
    rest("POST", "/model/{model}/unload", models.unload),
    stream("/models/stream/identifiers", "models"),
    # OSApi
    rest("GET", "/os/device/information", system.os_device_information),
    rest("GET", "/os/metadata", system.os_metadata),
    rest("GET", "/os/permissions", system.os_permissions),
    rest("POST", "/os/permissions/request", system.os_permissions_request),
    rest("GET", "/os/settings", system.os_settings_snapshot),
    rest("POST", "/os/settings/update", system.os_settings_update),
    rest("POST", "/os/filesystem/path/verify", system.os_filesystem_path_verify),
    rest("POST", "/os/update/check", system.os_update_check),
    stream("/os/update/check/stream", "update_status"),
    stream("/os/settings/stream", "settings"),
    rest("GET", "/os/restart", system.os_restart),
    rest("POST", "/os/terminate", system.os_terminate),
    rest("POST", "/os/memory/optimize", system.os_memory_optimize),
    rest("POST", "/os/nano_models/prepare", system.os_nano_models_prepare),
    rest("POST", "/os/applet/terminate", system.os_applet_terminate),
    rest("POST", "/os/sign_out", user.sign_out_of_os),
    rest("POST", "/os/link_provider", user.link_provider),
    declined("POST", "/os/sign_in", system.NO_SIGN_IN),
    declined("POST", "/os/files/pick", system.NO_DIALOG),
    declined("POST", "/os/folders/pick", system.NO_DIALOG),
    declined("POST", "/os/filesystem/files/pick", system.NO_DIALOG),
    declined("POST", "/os/filesystem/folders/pick", system.NO_DIALOG),
    declined("POST", "/os/filesystem/file/open", system.NO_FILE_OPENING),
    declined("POST", "/os/browser/url/open", system.NO_BROWSER),
    declined("POST", "/os/applet/launch", system.NO_APPLETS),
    declined("POST", "/os/applet/restart", system.NO_APPLETS),
    # UserApi
    rest("GET", "/user", user.user_snapshot),
    rest("GET", "/user/providers", user.user_snapshot),
    rest("GET", "/user/refresh", user.refresh_user),
    rest("GET", "/user/access_token", user.user_access_token),
    rest("POST", "/user/select", user.select_user),
    rest("POST", "/user/update", user.update_user),
    rest("POST", "/user/update/vanity", user.user_update_vanity),
    rest("POST", "/user/beta/status", user.user_beta_status),
    rest("POST", "/user/clear", user.clear_user),
    declined("POST", "/user/checkout", user.NO_CLOUD),
    declined("POST", "/user/manage/subscriptions", user.NO_CLOUD),
    stream("/user/stream", "user"),
    # WellKnownApi
    rest("GET", "/.well-known/health", system.health),
    rest("GET", "/.well-known/version", system.version),
    rest("GET", "/.well-known/installation/path", system.installation_path),
    stream("/.well-known/stream/health", "health", http=system.stream_health),
)


#: The streams (by the kind their rows name) whose every message is one state of Pieces OS.
STATE_STREAMS: Dict[str, StateStream] = {
    "health": StateStream(system.stream_health_message),
    "update_status": StateStream(system.update_status_message),
    "settings": StateStream(system.settings_message, follows=system.SETTINGS_KIND),
    "user": StateStream(user.user_message, follows=user.USER_KIND),
}


def specificity(path: str) -> Tuple[int, ...]:
    """Sorts a path before any other that a request for it could also match: at the first
    segment where two paths differ, a fixed segment comes before a ``{parameter}``."""
    return tuple(1 if segment.startswith("{") else 0 for segment in path.split("/"))


@lru_cache(maxsize=1)
def declared_operations() -> Tuple[Operation[Any], ...]:
    """Every operation the SDK's API classes declare (the spec's), by method and path."""
    found: Dict[Tuple[str, str], Operation[Any]] = {}
    for class_name in api.__all__:
        module = sys.modules[getattr(api, class_name).__module__]  # the API class loads its module
        for value in vars(module).values():
            if isinstance(value, Operation):
                found[(value.method.upper(), value.path)] = value
    return tuple(found[key] for key in sorted(found))


def unimplemented() -> List[Tuple[str, str, str]]:
    """(name, method, path) of every declared operation no route serves."""
    served = {(route.method, route.path) for route in ROUTES if route.serves}
    return [
        (operation.name, operation.method.upper(), operation.path) for operation in declared_operations()
        if (operation.method.upper(), operation.path) not in served
    ]


def declined_reason(method: str, path: str) -> Optional[str]:
    """Why the emulator declines the operation on ``method`` and ``path``; None when it does not."""
    return next((route.reason for route in ROUTES if (route.method, route.path) == (method, path)), None)
