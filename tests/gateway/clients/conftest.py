"""Clients of the `postgrest` package pointed at the default gateway, schema `test`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from postgrest import AsyncPostgrestClient, SyncPostgrestClient

from tests.gateway.conftest import Gateway


@pytest.fixture
def sync_client(gateway: Gateway) -> Iterator[SyncPostgrestClient]:
    with SyncPostgrestClient(gateway.url, schema="test", retry_enabled=False) as client:
        yield client


@pytest.fixture
async def async_client(gateway: Gateway) -> AsyncIterator[AsyncPostgrestClient]:
    async with AsyncPostgrestClient(gateway.url, schema="test", retry_enabled=False) as client:
        yield client
