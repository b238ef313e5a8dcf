"""Who is calling: a Taproot access token plus a workspace header, or a workspace API key.

Either way the result is a `Caller`: the database role and claims every transaction of
the request runs as, and the workspace the call is billed to. API keys are checked by
app.authenticate_api_key as anon; the key's user then acts with the key's id and
workspace in their claims, so SQL can tell key calls apart.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import jwt
from jwt.exceptions import PyJWTError

from sidecar._sql import query
from sidecar.db import ANON, Database, Role, Row
from sidecar.errors import SidecarError, bad_request, unauthorized

API_KEY_PREFIX = "tpk_"
WORKSPACE_HEADER = "x-taproot-workspace"
CLOCK_SKEW = 30  # seconds, as the gateway (and PostgREST) allow
# Verified access tokens kept per process (a client sends the same token on every call):
# verifying one (base64, HMAC, claim checks) was ~10% of the sidecar's CPU per call. Only
# a token that verified is kept; its time claims are checked again on every use.
VERIFIED_TOKENS = 4096

_AUTHENTICATE_KEY = query("ai", "authenticate_api_key")
_MAY_CALL = query("ai", "may_call_ai")


@dataclass(frozen=True)
class Caller:
    role: Role
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    manages: bool  # owner or admin of the workspace
    # The workspace's routes, read with the caller's rights: (model, credential, upstream)
    routes: tuple[tuple[str, str, str], ...] = ()


class Authenticator:
    def __init__(self, db: Database, jwt_secret: str, jwt_aud: str | None) -> None:
        self._db = db
        self._secret = jwt_secret
        self._aud = jwt_aud
        # token -> its role (claims, JSON) once verified; see VERIFIED_TOKENS
        self._verified: dict[str, Role] = {}

    def identify(
        self,
        authorization: str | None,
        api_key_header: str | None,
        workspace: str | None,
        *,
        rights: bool = True,
    ) -> Caller:
        """Who is calling; with `rights`, also their rights and routes (one transaction).

        Without: the calls that run app.begin_ai_call next, which checks the caller and reads
        the routes itself (a token caller then costs no transaction here at all).
        """
        token = _bearer(authorization) or (api_key_header or "").strip() or None
        if token is None:
            raise unauthorized(
                "Missing credentials: send 'Authorization: Bearer <token or tpk_ API key>'"
            )
        if token.startswith(API_KEY_PREFIX):
            return self._from_api_key(token, rights)
        caller = self._from_token(token, workspace)
        if not rights:
            return caller
        (row,) = self._db.run(caller.role, (_MAY_CALL, {"workspace_id": caller.workspace_id}))
        return _with_rights(row, caller)

    def _from_api_key(self, key: str, rights: bool) -> Caller:
        # One transaction: the key is checked as anon, then the key's caller reads its rights.
        with self._db.transaction(ANON) as tx:
            row = tx.one(_AUTHENTICATE_KEY, {"key": key})
            if row is None:
                raise unauthorized("Invalid API key: it is unknown, revoked or expired")
            user_id, workspace_id, key_id = row["user_id"], row["workspace_id"], row["key_id"]
            claims = {
                "role": "authenticated",
                "sub": str(user_id),
                "api_key_id": str(key_id),
                "workspace_id": str(workspace_id),
            }
            caller = Caller(Role("authenticated", claims), workspace_id, user_id, key_id, False)
            if not rights:
                return caller
            tx.become(caller.role)
            return _with_rights(tx.one(_MAY_CALL, {"workspace_id": workspace_id}), caller)

    def _from_token(self, token: str, workspace: str | None) -> Caller:
        role = self._verified.get(token)
        if role is None or not _in_time(role.claims, time.time()):
            role = self._verify(token)
        if not workspace:
            raise bad_request(
                f"Missing header {WORKSPACE_HEADER}: name the workspace to bill (a uuid)",
                param=WORKSPACE_HEADER,
            )
        try:
            workspace_id = uuid.UUID(workspace.strip())
        except ValueError:
            raise bad_request(
                f"Malformed header {WORKSPACE_HEADER}: expected a uuid", param=WORKSPACE_HEADER
            ) from None
        user_id = _uuid_or_none(role.claims.get("sub"))
        return Caller(role, workspace_id, user_id, None, False)

    def _verify(self, token: str) -> Role:
        """The token's role and claims, verified in full (signature, audience, times)."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256", "HS384", "HS512"],
                audience=self._aud,
                leeway=CLOCK_SKEW,
                options={"verify_aud": self._aud is not None},
            )
        except PyJWTError as exc:
            raise unauthorized(f"Invalid access token: {exc}") from None
        role = claims.get("role")
        if not isinstance(role, str) or not role:
            raise unauthorized("Invalid access token: it names no role")
        verified = Role(role, claims)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()  # bounded; the next calls verify again
        self._verified[token] = verified
        return verified


def _in_time(claims: dict[str, Any], now: float) -> bool:
    """Are a verified token's time claims still good now (as jwt.decode checks them)?

    False sends the token through jwt.decode again, which raises the precise error.
    """
    if "exp" in claims and int(claims["exp"]) <= now - CLOCK_SKEW:
        return False
    if "nbf" in claims and int(claims["nbf"]) > now + CLOCK_SKEW:
        return False
    return not ("iat" in claims and int(claims["iat"]) > now + CLOCK_SKEW)


def _with_rights(row: Row | None, caller: Caller) -> Caller:
    """Members and above may call models; asked of the database, as the caller."""
    if row is None or not row["allowed"]:
        raise SidecarError(
            403, "Only owners, admins and members of the workspace can call its models"
        )
    return replace(caller, manages=bool(row["manages"]), routes=routes_of(row["routes"]))


def routes_of(routes: Any) -> tuple[tuple[str, str, str], ...]:
    """(model, credential, upstream model) from the routes' JSON, in fallback order."""
    if isinstance(routes, str):
        routes = json.loads(routes)
    return tuple((r["model"], r["credential"], r["upstream_model"]) for r in routes)


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
