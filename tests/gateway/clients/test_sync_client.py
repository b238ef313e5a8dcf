"""The synchronous `postgrest` client (supabase's postgrest-py) against the gateway."""

from __future__ import annotations

import time

import pytest
from postgrest import APIError, SyncPostgrestClient

from tests.gateway.clients._cases import CASES, ERROR_CASES, Case, ErrorCase
from tests.gateway.conftest import mint_jwt


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(sync_client: SyncPostgrestClient, case: Case) -> None:
    response = case.build(sync_client).execute()
    assert response.data == case.data
    assert response.count == case.count


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_error_case(sync_client: SyncPostgrestClient, case: ErrorCase) -> None:
    with pytest.raises(APIError) as caught:
        case.build(sync_client).execute()
    error = caught.value
    assert (error.code, error.message, error.details, error.hint) == (
        case.code,
        case.message,
        case.details,
        case.hint,
    )


def test_maybe_single_without_rows_is_none(sync_client: SyncPostgrestClient) -> None:
    assert sync_client.from_("items").select("id").eq("id", 999).maybe_single().execute() is None


def test_maybe_single_with_one_row(sync_client: SyncPostgrestClient) -> None:
    response = sync_client.from_("items").select("id").eq("id", 3).maybe_single().execute()
    assert response is not None
    assert response.data == {"id": 3}


def test_authenticated_client_reads_what_its_role_may(sync_client: SyncPostgrestClient) -> None:
    token = mint_jwt({"role": "gw_user", "exp": int(time.time()) + 300})
    response = sync_client.auth(token).from_("authors_only").select("*").execute()
    assert response.data == [{"id": 1, "secret": "only for gw_user"}]
