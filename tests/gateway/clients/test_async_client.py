"""The asynchronous `postgrest` client against the gateway: same cases as the sync suite."""

from __future__ import annotations

import asyncio
import time

import pytest
from postgrest import APIError, AsyncPostgrestClient

from tests.gateway.clients._cases import CASES, ERROR_CASES, Case, ErrorCase
from tests.gateway.conftest import mint_jwt


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_case(async_client: AsyncPostgrestClient, case: Case) -> None:
    response = await case.build(async_client).execute()
    assert response.data == case.data
    assert response.count == case.count


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
async def test_error_case(async_client: AsyncPostgrestClient, case: ErrorCase) -> None:
    with pytest.raises(APIError) as caught:
        await case.build(async_client).execute()
    error = caught.value
    assert (error.code, error.message, error.details, error.hint) == (
        case.code,
        case.message,
        case.details,
        case.hint,
    )


async def test_maybe_single_without_rows_is_none(async_client: AsyncPostgrestClient) -> None:
    request = async_client.from_("items").select("id").eq("id", 999).maybe_single()
    assert await request.execute() is None


async def test_concurrent_requests(async_client: AsyncPostgrestClient) -> None:
    requests = [
        async_client.from_("items").select("id").eq("id", n).execute() for n in range(1, 16)
    ]
    responses = await asyncio.gather(*requests)
    assert [r.data for r in responses] == [[{"id": n}] for n in range(1, 16)]


async def test_authenticated_client_reads_what_its_role_may(
    async_client: AsyncPostgrestClient,
) -> None:
    token = mint_jwt({"role": "gw_user", "exp": int(time.time()) + 300})
    response = await async_client.auth(token).from_("authors_only").select("*").execute()
    assert response.data == [{"id": 1, "secret": "only for gw_user"}]
