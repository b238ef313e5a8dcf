"""Validation errors through the gateway: the schema's sentences reach the client unchanged.

The messages are raised by the schema (app_email_address_explained, app_validation_messages)
and pinned by pgTAP; this suite checks the last step, that a real HTTP client of the real
gateway gets them in PostgREST's {code, message, details, hint} with the status the SQLSTATE
maps to (23514/23502 → 400, 23505/23503 → 409). Nothing here is patched in Python.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from taproot.database import Database
from tests.stack import Gateway, Tenant, make_tenant, start_gateway


@pytest.fixture
def gateway(app_db: Database, tmp_path: Path) -> Iterator[Gateway]:
    gw = start_gateway(app_db, tmp_path)
    try:
        yield gw
    finally:
        gw.process.stop(timeout=10)


def _token(db: Database, tenant: Tenant) -> str:
    """An access token for the tenant's admin, signed with the secret the gateway checks."""
    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    now = int(time.time())
    claims = {
        "role": "authenticated",
        "sub": str(tenant.user_id),
        "email": tenant.email,
        "aud": "taproot",
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, str(row[0]), algorithm="HS256")


def _send(gw: Gateway, method: str, path: str, body: Any, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, gw.url + path, json=body, headers=headers, timeout=30)


def _error(status: int, code: str, message: str, details: str | None, hint: str | None) -> Any:
    return status, {"code": code, "message": message, "details": details, "hint": hint}


def test_validation_errors_reach_the_client_readable(app_db: Database, gateway: Gateway) -> None:
    admin = make_tenant(app_db, role="admin")
    token = _token(app_db, admin)
    ws = str(admin.workspace_id)
    with app_db.connect() as conn:
        document = conn.execute(
            "INSERT INTO api.documents (workspace_id, title, created_by) VALUES (%s, 'Doc', %s)"
            " RETURNING id::text",
            (admin.workspace_id, admin.user_id),
        ).fetchone()
    assert document is not None
    nobody = str(uuid.uuid4())

    cases: list[tuple[str, str, str, Any, str | None, Any]] = [
        (
            "signup with a malformed email",
            "POST",
            "/rpc/signup",
            {"email": "not an email", "password": "a long enough password"},
            None,
            _error(
                400,
                "23514",
                "email must be a valid email address",
                "'not an email' is not of the form name@example.com.",
                'Check for a missing "@" or domain, and for spaces.',
            ),
        ),
        (
            "a user with a name over 200 characters",
            "POST",
            "/users",
            {"email": "long.name@example.test", "name": "x" * 201},
            token,
            _error(
                400, "23514", "name must be at most 200 characters", "It has 201 characters.", None
            ),
        ),
        (
            "a user with an email already in use",
            "POST",
            "/users",
            {"email": admin.email.upper(), "name": "Again"},
            token,
            _error(
                409,
                "23505",
                "email is already used by another account",
                f"An account with the email {admin.email} exists.",
                "Emails are compared without regard to case. To add that person to a workspace,"
                " call /rpc/invite_member.",
            ),
        ),
        (
            "a workspace with a blank name",
            "POST",
            "/rpc/create_workspace",
            {"name": "   "},
            token,
            _error(400, "23514", "name must not be blank", None, None),
        ),
        (
            "a membership with an unknown role",
            "POST",
            "/rpc/invite_member",
            {"workspace_id": ws, "email": "new.member@example.test", "role": "boss"},
            token,
            _error(
                400,
                "23514",
                "role must be one of owner, admin, member, viewer",
                "Got 'boss'.",
                None,
            ),
        ),
        (
            "a membership for an unknown user",
            "POST",
            "/memberships",
            {"workspace_id": ws, "user_id": nobody},
            token,
            _error(
                409,
                "23503",
                "user_id must be the id of an existing user",
                f"No user has id {nobody}.",
                "To add someone by email, call /rpc/invite_member.",
            ),
        ),
        (
            "a document whose metadata is not an object",
            "PATCH",
            f"/documents?id=eq.{document[0]}",
            {"metadata": ["a", "b"]},
            token,
            _error(
                400,
                "23514",
                "metadata must be a JSON object",
                "It is a JSON array.",
                'Send an object such as {"key": "value"}, or {} for none.',
            ),
        ),
        (
            "a document without a title",
            "POST",
            "/documents",
            {"workspace_id": ws, "body": "text"},
            token,
            _error(400, "23502", "title is required", None, None),
        ),
        (
            "an AI route at position 0",
            "POST",
            "/ai_routes",
            {"workspace_id": ws, "model": "smart", "position": 0, "credential": "openai"},
            token,
            _error(400, "23514", "position must be at least 1", "Got 0.", None),
        ),
    ]
    for label, method, path, body, bearer, expected in cases:
        response = _send(gateway, method, path, body, bearer)
        assert (response.status_code, response.json()) == expected, label
