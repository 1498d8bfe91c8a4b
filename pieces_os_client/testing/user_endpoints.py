"""UserApi, and OSApi's sign-out and provider linking: the user signed in to this Pieces OS.

Nobody is signed in until a client selects a user (``POST /user/select`` with an ``Auth0User``),
which is what Pieces' desktop application does once its browser sign-in is done: the emulator
has no cloud and checks nothing, so a test can sign in whom it likes. Until then, and after
``clear_user`` or ``sign_out_of_os``, every operation answers what a Pieces OS with nobody signed
in answers: ``/user`` a ReturnedUserProfile without ``user``, the operations that change the user
the status their spec documents for it (511 Network Authentication Required, 401 for linking a
provider), the others a 500 saying nobody is signed in. The signed-in user is kept in the store.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.auth0_user import Auth0User
from pieces_os_client.models.external_provider_type_enum import ExternalProviderTypeEnum
from pieces_os_client.models.seeded_external_provider import SeededExternalProvider
from pieces_os_client.models.user_beta_status import UserBetaStatus
from pieces_os_client.models.user_profile import UserProfile
from pieces_os_client.testing.seeds import grouped_timestamp, now_utc
from pieces_os_client.testing.store import AssetStore, Draft, Json
from pieces_os_client.testing.web import ApiError, json_answer, not_implemented, parse, parse_required, store_of

#: Where the signed-in user is kept: one entity of the store, absent when nobody is signed in.
USER_KIND, USER_ID = "user", "signed-in"
#: The look of a user who never chose one: a light theme, 14-point text.
DEFAULT_AESTHETICS: Json = {"theme": {"dark": False}, "font": {"size": 14}}
_PROVIDERS = frozenset(member.value for member in ExternalProviderTypeEnum)

NOBODY = "no user is signed in to this Pieces OS"
#: Why the operations of accounts and billing are declined (501).
NO_CLOUD = "accounts and billing live in Pieces' cloud, and the emulator has no cloud"


def signed_in(store: AssetStore) -> Optional[Json]:
    """The signed-in user's UserProfile as JSON; None when nobody is signed in."""
    kept = store.entity(USER_KIND, USER_ID)
    return None if kept is None else dict(kept["profile"])


def user_message(store: AssetStore) -> str:
    """A message of ``/user/stream``: the signed-in user's UserProfile, or JSON ``null`` when nobody
    is signed in. Pieces' own clients read an empty message (or one that is not a profile) as
    signed out; an empty one is not sent because the servers the emulator runs on under Python 3.9
    (uvicorn 0.39 and earlier) drop empty WebSocket messages."""
    profile = signed_in(store)
    return "null" if profile is None else json.dumps(profile, ensure_ascii=False)


def _kept_in(draft: Draft, status: int, doing: str) -> Json:
    """The kept user (profile and beta status) in a write; ``status`` when nobody is signed in."""
    kept = draft.entity(USER_KIND, USER_ID)
    if kept is None:
        raise ApiError(status, f"{NOBODY}: sign in before {doing}")
    return kept


def _profile_of(user: Auth0User, before: Optional[Json]) -> Json:
    """The UserProfile of an Auth0 user; what the user chose here (look, vanity name) stays when
    the same user is selected again."""
    data: Json = json.loads(user.to_json())
    user_id = data.get("user_id")
    if not isinstance(user_id, str) or not user_id.strip():
        raise ApiError(400, "the body is not a valid Auth0User to sign in: `user_id` is required")
    now = grouped_timestamp(now_utc())
    profile: Json = {"id": user_id, "aesthetics": DEFAULT_AESTHETICS, "created": now, "updated": now}
    for key in ("email", "name", "picture", "username"):
        if isinstance(data.get(key), str):
            profile[key] = data[key]
    if "username" not in profile and isinstance(data.get("nickname"), str):
        profile["username"] = data["nickname"]
    if isinstance(data.get("created_at"), str):
        profile["created"] = {"value": data["created_at"]}
    metadata = data.get("user_metadata")
    if isinstance(metadata, dict) and "global_id" in metadata:
        profile["auth0"] = metadata
    profile["providers"] = {"iterable": [
        {"type": identity["provider"], "user_id": identity.get("user_id") or user_id, "created": now, "updated": now,
         **{key: identity[key] for key in ("connection", "isSocial") if key in identity}}
        for identity in data.get("identities") or [] if identity.get("provider") in _PROVIDERS
    ]}
    if before is not None and before["id"] == user_id:
        profile.update({key: before[key] for key in ("aesthetics", "vanityname", "created") if key in before})
    return profile


def _written(request: Request, change: Callable[[Draft], Json]) -> Response:
    """Run ``change`` in one write and answer what it returns."""
    return json_answer(store_of(request).write(change))


# ----- reading ----------------------------------------------------------------------------------


async def user_snapshot(request: Request) -> Response:
    """``/user`` and ``/user/providers``: a ReturnedUserProfile, without ``user`` when nobody is
    signed in."""
    profile = signed_in(store_of(request))
    return json_answer({} if profile is None else {"user": profile})


async def refresh_user(request: Request) -> Response:
    profile = signed_in(store_of(request))
    if profile is None:
        raise ApiError(500, f"{NOBODY}: there is no user to refresh")
    return json_answer(profile)


async def user_access_token(request: Request) -> Response:
    if signed_in(store_of(request)) is None:
        raise ApiError(500, f"{NOBODY}: there is no access token")
    raise ApiError(500, "the emulator holds no access token: users sign in to it without Pieces' cloud")


# ----- signing in and out -------------------------------------------------------------------------


async def select_user(request: Request) -> Response:
    user = await parse_required(request, Auth0User)

    def sign_in(draft: Draft) -> Json:
        before = draft.entity(USER_KIND, USER_ID)
        profile = _profile_of(user, None if before is None else before["profile"])
        beta = before["beta"] if before is not None and before["profile"]["id"] == profile["id"] else {}
        draft.put_entity(USER_KIND, {"id": USER_ID, "profile": profile, "beta": beta})
        return profile

    return _written(request, sign_in)


def _sign_out(store: AssetStore) -> None:
    def apply(draft: Draft) -> None:
        if draft.entity(USER_KIND, USER_ID) is not None:
            draft.delete_entity(USER_KIND, USER_ID)

    store.write(apply)


async def clear_user(request: Request) -> Response:
    _sign_out(store_of(request))
    return Response(status_code=204)


async def sign_out_of_os(request: Request) -> Response:
    # The users still signed in afterwards: none.
    _sign_out(store_of(request))
    return json_answer({"iterable": []})


# ----- changing the user ----------------------------------------------------------------------------


def _same_user(kept: Json, given: Optional[str], model: str) -> None:
    signed = kept["profile"]["id"]
    if given is not None and given != signed:
        raise ApiError(400, f"the body is not a valid {model}: user {given!r} is not the signed-in user {signed!r}")


async def update_user(request: Request) -> Response:
    """The fields the body gives replace the signed-in user's (``id`` must be theirs)."""
    changes: Json = json.loads((await parse_required(request, UserProfile)).to_json())

    def apply(draft: Draft) -> Json:
        kept = _kept_in(draft, 511, "changing the user")
        _same_user(kept, changes["id"], "UserProfile")
        profile: Json = kept["profile"]
        profile.update({key: value for key, value in changes.items() if key not in ("id", "created")})
        profile["updated"] = grouped_timestamp(now_utc())
        draft.put_entity(USER_KIND, kept)
        return profile

    return _written(request, apply)


async def user_update_vanity(request: Request) -> Response:
    given = await parse_required(request, UserProfile)
    if not given.vanityname:
        raise ApiError(400, "the body is not a valid UserProfile for a vanity name: `vanityname` is required")

    def apply(draft: Draft) -> Json:
        kept = _kept_in(draft, 511, "choosing a vanity name")
        _same_user(kept, given.id, "UserProfile")
        profile: Json = kept["profile"]
        profile.update(vanityname=given.vanityname, updated=grouped_timestamp(now_utc()))
        draft.put_entity(USER_KIND, kept)
        return profile

    return _written(request, apply)


async def user_beta_status(request: Request) -> Response:
    """The signed-in user's beta status: the ``auth0`` and ``descope`` the body gives are kept, and
    the answer is the whole status."""
    given: Dict[str, Any] = json.loads((await parse_required(request, UserBetaStatus)).to_json())

    def apply(draft: Draft) -> Json:
        kept = _kept_in(draft, 511, "asking for the beta status")
        _same_user(kept, given["user"], "UserBetaStatus")
        kept["beta"].update({key: value for key, value in given.items() if key not in ("user", "schema")})
        draft.put_entity(USER_KIND, kept)
        return dict(kept["beta"], user=kept["profile"]["id"])

    return _written(request, apply)


async def link_provider(request: Request) -> Response:
    await parse(request, SeededExternalProvider, required=False)
    if signed_in(store_of(request)) is None:
        raise ApiError(401, f"{NOBODY}: sign in before linking a provider")
    return not_implemented("link_provider", "POST", "/os/link_provider",
                           "linking a provider is a browser round trip, and it runs headless")

