"""One attempt of an AI request, from claim to a committed outcome.

claim (a new attempt number: the fence) → render the prompt → cache → reserve the budget
→ provider call (routes in order; streamed, its partial output published to real-time
subscribers as it arrives) → one transaction: usage row, result, status. The
status trigger emits the request's events. A retryable failure records when the next
attempt runs and raises RetryLater for Procrastinate; a permanent one records a readable
error. Whoever lost the fence (cancelled, or retried elsewhere after this worker stalled)
writes nothing: the outcome rolls back with its usage row and the reservation is released.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from ai import registry
from ai.breaker import Breakers
from ai.cache_key import cache_key, cacheable
from ai.errors import ErrorKind, ProviderError
from ai.keycache import KeyCache
from ai.templates import TemplateError, prompt_messages, render
from ai.tokens import count_message_tokens
from ai.types import ChatRequest, ChatResponse, Usage
from taproot import logs
from taproot.sqlfiles import named_queries
from telemetry import ai as ai_metrics
from workers.progress import DeltaPublisher, collect
from workers.retry import RetryLater, TaprootRetry
from workers.settings import WorkerSettings

log = logging.getLogger("workers.ai")

Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]

# Parameters of a prompt version that are Taproot's, not the model's.
_CONTROL_PARAMS = frozenset({"system", "cache"})


class PermanentFailure(Exception):
    """The attempt failed for good and the request says why; the job fails too."""


@dataclass(frozen=True)
class Claim:
    request_id: str
    attempt: int
    workspace_id: str
    template: str
    variables: dict[str, str]
    model: str
    params: dict[str, Any]
    inputs: dict[str, Any]
    routes: list[tuple[str, str]]  # (credential, upstream model) in fallback order


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded | failed | queued | superseded | skipped
    detail: str = ""


class Runner:
    """Runs attempts; one per worker process (it holds the breakers and the settings)."""

    def __init__(self, settings: WorkerSettings, strategy: TaprootRetry) -> None:
        self.settings = settings
        self.strategy = strategy
        self.breakers = Breakers()
        self.sql = named_queries("workers", "requests")
        self._keys = KeyCache()

    async def run(
        self,
        pool: Pool,
        request_id: str,
        job_id: int,
        abort_reason: Callable[[], AbortReason | None],
    ) -> Outcome:
        claim = await self._claim(pool, request_id, job_id)
        if claim is None:
            return Outcome("skipped", "the request is already finished or cancelled")
        try:
            return await self._attempt(pool, claim)
        except asyncio.CancelledError:
            if abort_reason() == AbortReason.SHUTDOWN:
                # Put it back: Procrastinate retries jobs aborted by a shutdown at once.
                await asyncio.shield(self._requeue_after_shutdown(pool, claim))
                raise
            # Cancelled by its user (api.cancel_request): the request already says so. As
            # JobAborted the job ends 'aborted'; a CancelledError would be offered a retry.
            raise JobAborted(f"AI request {request_id} was cancelled") from None

    # --- stages ---------------------------------------------------------------------
    async def _claim(self, pool: Pool, request_id: str, job_id: int) -> Claim | None:
        async with pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(self.sql["claim"], {"request": request_id, "job": job_id})
            ).fetchone()
        if row is None:
            return None
        attempt, workspace_id, _version, template, variables, model, params, inputs, _by, routes = (
            row[:10]
        )
        if row[10] is not None and logs.current() is None:
            # the rest of this job's log lines (and its provider calls) carry the HTTP request
            # that deferred it; the job runs in an asyncio task of its own, so this ends with it
            logs.bind(logs.RequestContext(str(row[10])))
        chain = [(str(r[0]), str(r[1])) for r in routes] or [(registry.default_credential(), model)]
        return Claim(
            request_id,
            attempt,
            str(workspace_id),
            template,
            variables,
            model,
            params,
            inputs,
            chain,
        )

    async def _attempt(self, pool: Pool, claim: Claim) -> Outcome:
        try:
            rendered = render(claim.template, claim.variables, claim.inputs)
        except TemplateError as exc:
            return await self._fail(pool, claim, f"invalid prompt: {exc}")
        messages = prompt_messages(rendered, claim.params)
        params = {k: v for k, v in claim.params.items() if k not in _CONTROL_PARAMS}
        routes = claim.routes
        key = None
        if cacheable(params, force=claim.params.get("cache") == "force"):
            # Own namespace: the sidecar caches wire-format answers under the same key function.
            key = cache_key(f"job:{claim.model}", routes[0][1], messages, params)
            hit = await self._cache_lookup(pool, claim, key)
            if hit is not None:
                return await self._succeed(pool, claim, hit, None, None, cache_hit=True)
        worst = count_message_tokens(messages) + _max_tokens(params, self.settings)
        try:
            reservation = await self._reserve(pool, claim, worst)
        except psycopg.errors.RaiseException as exc:
            return await self._fail(pool, claim, _pg_message(exc))
        started = time.perf_counter()
        try:
            response = await self._call(pool, claim, routes, messages, params)
        except ProviderError as exc:
            await self._release(pool, reservation)
            return await self._provider_failure(pool, claim, exc)
        except BaseException:
            await asyncio.shield(self._release(pool, reservation))
            raise
        latency_ms = round((time.perf_counter() - started) * 1000)
        return await self._succeed(
            pool, claim, response, reservation, key, cache_hit=False, latency_ms=latency_ms
        )

    async def _cache_lookup(self, pool: Pool, claim: Claim, key: str) -> ChatResponse | None:
        async with pool.connection() as conn:
            row = await (
                await conn.execute(self.sql["cache_lookup"], (claim.workspace_id, key))
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return _response_from_json(row[0])

    async def _reserve(self, pool: Pool, claim: Claim, tokens: int) -> str:
        async with pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(
                    self.sql["reserve"], (claim.workspace_id, tokens, claim.request_id)
                )
            ).fetchone()
        assert row is not None
        return str(row[0])

    async def _release(self, pool: Pool, reservation: str | None) -> None:
        if reservation is None:
            return
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(self.sql["release"], (reservation,))

    async def _call(
        self,
        pool: Pool,
        claim: Claim,
        routes: list[tuple[str, str]],
        messages: list[dict[str, Any]],
        params: dict[str, Any],
    ) -> ChatResponse:
        """The first route that answers; the next one is tried when a route is down."""
        last: ProviderError | None = None
        for credential, upstream_model in routes:
            api_key = await self._credential(pool, claim, credential)
            provider = self.breakers.guard(registry.get_provider(credential, api_key), credential)
            request = ChatRequest(upstream_model, messages, params, attempt=claim.attempt)
            publisher = DeltaPublisher(pool, claim.request_id)
            started = time.perf_counter()
            try:
                response = await collect(
                    provider.stream_chat(request), request, provider.name, publisher
                )
            except ProviderError as exc:
                ai_metrics.provider_call(
                    "worker", credential, exc.kind.value, time.perf_counter() - started
                )
                if not (exc.retryable or exc.kind is ErrorKind.AUTH):
                    raise
                last = exc
                log.warning("route %s/%s failed: %s", credential, upstream_model, exc.message)
            else:
                ai_metrics.provider_call("worker", credential, "ok", time.perf_counter() - started)
                return response
        assert last is not None
        raise last

    async def _credential(self, pool: Pool, claim: Claim, credential: str) -> str | None:
        """The workspace's own key for this provider, when it stored one and we hold the key.

        Reused for a minute (ai.keycache): an attempt must not pay a transaction for it."""
        if credential == "fake" or not self.settings.secrets_key:
            return None
        fresh, cached = self._keys.get(claim.workspace_id, credential)
        if fresh:
            return cached
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(self.sql["set_secrets_key"], (self.settings.secrets_key,))
            row = await (
                await conn.execute(self.sql["credential"], (claim.workspace_id, credential))
            ).fetchone()
        key = None if row is None else row[0]
        self._keys.put(claim.workspace_id, credential, key)
        return key

    async def _succeed(
        self,
        pool: Pool,
        claim: Claim,
        response: ChatResponse,
        reservation: str | None,
        key: str | None,
        *,
        cache_hit: bool,
        latency_ms: int | None = None,
    ) -> Outcome:
        usage = response.usage
        try:
            async with pool.connection() as conn, conn.transaction():
                row = await (
                    await conn.execute(
                        self.sql["record_usage"],
                        (
                            claim.workspace_id,
                            claim.request_id,
                            reservation,
                            response.provider,
                            claim.model,
                            response.model,
                            usage.input_tokens,
                            usage.output_tokens,
                            usage.cached_input_tokens,
                            usage.cache_write_tokens,
                            usage.reasoning_tokens,
                            cache_hit,
                            usage.estimated,
                            "ok",
                            latency_ms,
                        ),
                    )
                ).fetchone()
                assert row is not None
                usage_id, cost = row
                await conn.execute(
                    self.sql["finish"],
                    (
                        claim.request_id,
                        claim.attempt,
                        "succeeded",
                        response.content,
                        None,
                        None,
                        usage.input_tokens,
                        usage.output_tokens,
                        cost,
                        cache_hit,
                    ),
                )
                if key is not None:
                    await conn.execute(
                        self.sql["cache_store"],
                        (
                            claim.workspace_id,
                            key,
                            Jsonb(_response_to_json(response)),
                            self.settings.cache_ttl,
                        ),
                    )
        except (psycopg.errors.RaiseException, psycopg.errors.UniqueViolation) as exc:
            if _stale(exc):
                await self._release(pool, reservation)
                return Outcome("superseded", _pg_message(exc))
            raise
        ai_metrics.billed(
            "worker",
            response.provider,
            cache="hit" if cache_hit else "miss",
            status="ok",
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=None if cost is None else float(cost),
        )
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(self.sql["settle"], (usage_id,))
        return Outcome("succeeded", "cache hit" if cache_hit else "")

    async def _provider_failure(self, pool: Pool, claim: Claim, exc: ProviderError) -> Outcome:
        decision = self.strategy.decide(exc, claim.attempt)
        if decision is None or decision.retry_at is None:
            return await self._fail(pool, claim, f"{exc.kind.value}: {exc.message}")
        await self._finish(
            pool, claim, "queued", f"{exc.kind.value}: {exc.message}", decision.retry_at
        )
        raise RetryLater(exc, decision)

    async def _fail(self, pool: Pool, claim: Claim, error: str) -> Outcome:
        if await self._finish(pool, claim, "failed", error, None):
            raise PermanentFailure(error)
        return Outcome("superseded", error)

    async def _requeue_after_shutdown(self, pool: Pool, claim: Claim) -> None:
        await self._finish(pool, claim, "queued", "the worker shut down during the attempt", _now())

    async def _finish(
        self, pool: Pool, claim: Claim, status: str, error: str, retry_at: datetime.datetime | None
    ) -> bool:
        """Record a failed attempt; False when the attempt was no longer current."""
        try:
            async with pool.connection() as conn, conn.transaction():
                await conn.execute(
                    self.sql["finish"],
                    (
                        claim.request_id,
                        claim.attempt,
                        status,
                        None,
                        error,
                        retry_at,
                        0,
                        0,
                        0,
                        False,
                    ),
                )
        except psycopg.errors.RaiseException as exc:
            if _stale(exc):
                return False
            raise
        return True


def _max_tokens(params: dict[str, Any], settings: WorkerSettings) -> int:
    for name in ("max_completion_tokens", "max_tokens"):
        value = params.get(name)
        if isinstance(value, int) and value > 0:
            return value
    return settings.max_output_tokens


def _stale(exc: psycopg.Error) -> bool:
    """This attempt lost: no longer the request's current one (the fence), or the request
    was already charged by the attempt that won (one usage row per request)."""
    if exc.sqlstate == "PT409":
        return True
    return exc.sqlstate == "23505" and exc.diag.constraint_name == "ai_usage_request_id_key"


def _pg_message(exc: psycopg.Error) -> str:
    diag = exc.diag
    return diag.message_primary or str(exc)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _response_to_json(response: ChatResponse) -> dict[str, Any]:
    u = response.usage
    return {
        "id": response.id,
        "model": response.model,
        "content": response.content,
        "finish_reason": response.finish_reason,
        "provider": response.provider,
        "usage": {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens},
    }


def _response_from_json(data: Any) -> ChatResponse:
    if isinstance(data, str):
        data = json.loads(data)
    usage = data.get("usage") or {}
    return ChatResponse(
        id=str(data.get("id", "")),
        model=str(data.get("model", "")),
        content=str(data.get("content", "")),
        finish_reason=str(data.get("finish_reason", "stop")),
        # A cache hit is charged nothing, but the counts say what the answer was worth.
        usage=Usage(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))),
        provider=str(data.get("provider", "")),
    )
