"""Error bodies, the SQLSTATE table, RAISE 'PGRST', Content-Range and GUC overrides."""

from __future__ import annotations

import json

import pytest

from gateway import errors
from gateway.errors import ApiError, from_postgres, sqlstate_status
from gateway.response import content_range, range_status


def test_body_shape() -> None:
    body = json.loads(errors.singularity(2).body())
    assert body == {
        "code": "PGRST116",
        "details": "The result contains 2 rows",
        "hint": None,
        "message": "Cannot coerce the result to a single JSON object",
    }


@pytest.mark.parametrize(
    ("state", "message", "authed", "status"),
    [
        ("23505", "", True, 409),
        ("23503", "", True, 409),
        ("25006", "", True, 405),
        ("42501", "", False, 401),
        ("42501", "", True, 403),
        ("42883", "", True, 404),
        ("42883", "function xmlagg(x)", True, 406),
        ("42P01", "", True, 404),
        ("21000", "DELETE requires a WHERE clause", True, 400),
        ("21000", "", True, 500),
        ("22023", 'role "x" does not exist', True, 401),
        ("22023", "", True, 400),
        ("P0001", "", True, 400),
        ("P0002", "", True, 500),
        ("08006", "", True, 503),
        ("53300", "", True, 503),
        ("53400", "", True, 500),
        ("57P01", "", True, 503),
        ("57014", "", True, 500),
        ("PT402", "", True, 402),
        ("PTxyz", "", True, 500),
        ("22P02", "", True, 400),
        ("XX000", "", True, 500),
        ("0P000", "", True, 403),
    ],
)
def test_sqlstate_table(state: str, message: str, authed: bool, status: int) -> None:
    assert sqlstate_status(state, message, authed) == status


def test_postgres_errors_keep_their_fields() -> None:
    err = from_postgres("23505", "dup", "Key (id)=(1) exists.", "hint", True)
    assert (err.status, err.code, err.details, err.hint) == (
        409,
        "23505",
        "Key (id)=(1) exists.",
        "hint",
    )
    unauth = from_postgres("42501", "permission denied", None, None, False)
    assert (b"www-authenticate", b"Bearer") in unauth.headers


def test_raise_pgrst() -> None:
    err = from_postgres(
        "PGRST",
        '{"code":"123","message":"Payment Required","details":"d"}',
        '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}',
        None,
        True,
    )
    assert (err.status, err.code, err.message, err.details) == (402, "123", "Payment Required", "d")
    assert err.headers == [(b"x-powered-by", b"Nerd Rage")]
    bad_msg = from_postgres("PGRST", "not json", '{"status":400,"headers":{}}', None, True)
    assert (bad_msg.status, bad_msg.code) == (500, "PGRST121")
    no_detail = from_postgres("PGRST", '{"code":"1","message":"m"}', None, None, True)
    assert no_detail.details == "DETAIL is missing in the RAISE statement"
    bad_detail = from_postgres("PGRST", '{"code":"1","message":"m"}', "{}", None, True)
    assert bad_detail.details == "Invalid JSON value for DETAIL: '{}'"


@pytest.mark.parametrize(
    ("lower", "page", "total", "status", "header"),
    [
        (0, 3, None, 200, b"0-2/*"),
        (0, 0, None, 200, b"*/*"),
        (0, 0, 0, 200, b"*/0"),
        (0, 3, 3, 200, b"0-2/3"),
        (0, 2, 10, 206, b"0-1/10"),
        (20, 0, 10, 416, b"*/10"),
        (10, 0, 10, 206, b"*/10"),
    ],
)
def test_range_status(lower: int, page: int, total: int | None, status: int, header: bytes) -> None:
    assert range_status(lower, page, total) == (status, header)


def test_content_range_for_mutations() -> None:
    assert content_range(1, 0, None) == b"*/*"


def test_api_error_repr() -> None:
    assert "PGRST000" in repr(errors.db_connection())
    assert isinstance(errors.pool_timeout(), ApiError) and errors.pool_timeout().status == 504
