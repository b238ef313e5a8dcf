"""One chat call from resolution to the ledger: routes, cache, budget, fallback, usage.

The order, whole or streamed: one statement (app.begin_ai_call) checks the caller, reads
the model's routes, looks up the cache (a hit is billed as a hit and answered without a
provider) and reserves the worst case → try each route (skipping open breakers, retries
inside) until one answers → store in the cache → record usage (durably; the process's
settler settles the reservation and counters right after, off the request path).
A whole answer given a `later` hook leaves the usage row to it: the view writes it once
the answer is sent (the reservation, committed before the provider call, holds the
budget meanwhile), so the ledger's two round trips are not in the client's wait.
Failing before any answer releases the reservation. A stream falls back only before its
first event; after it, a failure or a client that goes away bills what was produced
('partial', estimated when the upstream did not report usage).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ai.errors import ErrorKind, ProviderError
from ai.tokens import count_message_tokens, count_tokens
from ai.types import JSON, ChatRequest, ChatResponse, Finish, TextDelta, Usage, UsageReport
from sidecar import cache, ledger, routing
from sidecar.aio import Stream
from sidecar.caller import Caller
from sidecar.db import Database
from sidecar.errors import SidecarError, from_provider
from sidecar.routing import Route
from sidecar.timing import Clock
from sidecar.upstream import Upstream

log = logging.getLogger("sidecar.chat")
Event = TextDelta | Finish | UsageReport
# Takes work to run after the answer has gone out (see sidecar.views._respond.AfterAnswer).
Later = Callable[[Callable[[], None]], None]

# Errors where another route cannot help: the request itself is refused.
_NO_FALLBACK = frozenset({ErrorKind.PERMANENT, ErrorKind.CONTENT_FILTER})
_REPLAY_CHUNK = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class ChatCall:
    endpoint: str  # chat | messages | prompts.run
    model: str
    messages: list[JSON]
    params: JSON
    policy: cache.Policy
    # the api.ai_requests row a prompts.run call belongs to; None for direct calls
    request_id: uuid.UUID | None = None


@dataclass
class Served:
    """How a call was answered (for headers and the prompts.run record)."""

    route: Route
    provider: str
    cache_status: cache.Status
    usage_row: JSON | None = None


@dataclass
class Engine:
    db: Database
    upstream: Upstream
    default_max_tokens: int
    reservation_ttl: int
    settler: ledger.Settler | None = None

    # --- whole answers ------------------------------------------------------------
    def complete(
        self, clock: Clock, caller: Caller, call: ChatCall, *, later: Later | None = None
    ) -> tuple[ChatResponse, Served]:
        """The answer and how it was served. The usage row is written before this returns,
        or handed to `later` (then Served.usage_row is set only once that ran)."""
        begun = self._begin(caller, call)
        caller, entry, reservation = begun.caller, begun.cache_key, begun.reservation_id
        routes = routing.resolve(caller, call.model)
        if begun.cached is not None:
            hit = cache.decode(begun.cached)
            served = Served(routes[0], hit.provider, "hit")
            latency = clock.elapsed_ms()

            def bill_hit() -> None:
                served.usage_row = self._bill_hit(caller, call, hit, latency)

            _now_or_later(bill_hit, later)
            return hit, served
        status: cache.Status = "miss" if entry is not None else "bypass"
        billed = ledger.Call(call.request_id, call.endpoint, call.model, reservation)
        try:
            response, route = self._first_answer(clock, caller, call, routes)
        except BaseException:
            ledger.release(self.db, caller, reservation)
            raise
        served = Served(route, response.provider, status)
        latency = clock.elapsed_ms()

        def bill() -> None:
            served.usage_row = self.bill(
                latency,
                caller,
                billed,
                route=route,
                provider=response.provider,
                usage=response.usage,
                status="ok",
            )

        # Stored before answering: the same call made right after this answer is a hit.
        if entry is not None:
            try:
                cache.store(self.db, caller, entry, response, call.policy.ttl)
            except SidecarError:  # the answer is good and is billed; the next call misses
                log.exception("could not store the answer in the cache")
        _now_or_later(bill, later)
        return response, served

    def _first_answer(
        self, clock: Clock, caller: Caller, call: ChatCall, routes: list[Route]
    ) -> tuple[ChatResponse, Route]:
        last: ProviderError | None = None
        for route in routes:
            request = ChatRequest(route.upstream_model, call.messages, call.params)
            try:
                provider = self.upstream.provider(caller, route.credential)
                return self.upstream.chat(clock, provider, route.credential, request), route
            except ProviderError as exc:
                last = exc
                log.info("route %s/%s failed: %r", route.credential, route.upstream_model, exc)
                if exc.kind in _NO_FALLBACK:
                    break
        assert last is not None
        raise from_provider(last)

    # --- streams ------------------------------------------------------------------
    def stream(self, clock: Clock, caller: Caller, call: ChatCall) -> LiveStream:
        """A stream whose first event has arrived (or a replayed cache hit).

        Raises before any byte is sent when no route could start a stream.
        """
        begun = self._begin(caller, call)
        caller, entry, reservation = begun.caller, begun.cache_key, begun.reservation_id
        routes = routing.resolve(caller, call.model)
        if begun.cached is not None:
            hit = cache.decode(begun.cached)
            served = Served(routes[0], hit.provider, "hit")
            served.usage_row = self._bill_hit(caller, call, hit, clock.elapsed_ms())
            return LiveStream.replay(hit, served)
        billed = ledger.Call(call.request_id, call.endpoint, call.model, reservation)
        last: ProviderError | None = None
        for route in routes:
            request = ChatRequest(route.upstream_model, call.messages, call.params)
            try:
                provider = self.upstream.provider(caller, route.credential)
                first, rest = self.upstream.open_stream(clock, provider, route.credential, request)
            except ProviderError as exc:
                last = exc
                log.info("route %s/%s failed: %r", route.credential, route.upstream_model, exc)
                if exc.kind in _NO_FALLBACK:
                    break
                continue
            except BaseException:
                ledger.release(self.db, caller, reservation)
                raise
            served = Served(route, provider.name, "miss" if entry is not None else "bypass")
            return LiveStream(
                served,
                first,
                rest,
                engine=self,
                clock=clock,
                caller=caller,
                call=call,
                billed=billed,
                entry=entry,
            )
        ledger.release(self.db, caller, reservation)
        assert last is not None
        raise from_provider(last)

    # --- shared steps -------------------------------------------------------------
    def _begin(self, caller: Caller, call: ChatCall) -> ledger.Begun:
        """Rights, routes, cache and reservation: one statement before the provider call."""
        digest = None
        if call.policy.applies(call.params):
            digest = cache.digest(call.model, call.messages, call.params)
        cap = call.params.get("max_completion_tokens") or call.params.get("max_tokens")
        output = cap if isinstance(cap, int) and cap > 0 else self.default_max_tokens
        prompt = count_message_tokens(call.messages)
        return ledger.begin(
            self.db,
            caller,
            model=call.model,
            cache_digest=digest,
            request_id=call.request_id,
            tokens=prompt + output,
            ttl=self.reservation_ttl,
            input_tokens=prompt,
        )

    def _bill_hit(self, caller: Caller, call: ChatCall, hit: ChatResponse, latency_ms: int) -> JSON:
        billed = ledger.Call(call.request_id, call.endpoint, call.model)
        return ledger.record(
            self.db,
            caller,
            billed,
            provider=hit.provider,
            upstream_model=hit.model,
            usage=hit.usage,
            cache_hit=True,
            status="ok",
            latency_ms=latency_ms,
            settler=self.settler,
        )

    def bill(
        self,
        latency_ms: int,
        caller: Caller,
        billed: ledger.Call,
        *,
        route: Route,
        provider: str,
        usage: Usage,
        status: str,
    ) -> JSON:
        return ledger.record(
            self.db,
            caller,
            billed,
            provider=provider,
            upstream_model=route.upstream_model,
            usage=usage,
            cache_hit=False,
            status=status,
            latency_ms=latency_ms,
            settler=self.settler,
        )


def _now_or_later(work: Callable[[], None], later: Later | None) -> None:
    if later is None:
        work()
    else:
        later(work)


class LiveStream:
    """The events of one streamed answer; `close()` always settles the ledger once.

    Iterate `events()`; a ProviderError raised from it happened after the first byte (the
    wire layer reports it in-band). `close()` — called by the wire layer's `finally`, so
    also when the client disconnects (GeneratorExit) — bills whatever was produced.
    """

    def __init__(
        self,
        served: Served,
        first: Event | None,
        rest: Stream[Event] | Iterator[Event],
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        caller: Caller | None = None,
        call: ChatCall | None = None,
        billed: ledger.Call | None = None,
        entry: str | None = None,
    ) -> None:
        self.served = served
        self._engine, self._clock, self._caller, self._call = engine, clock, caller, call
        self._billed, self._entry = billed, entry
        self._first, self._rest = first, rest
        self._text: list[str] = []
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._failure: ProviderError | None = None
        self._settled = engine is None  # a replayed hit was billed before it started
        self.response_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"

    @classmethod
    def replay(cls, hit: ChatResponse, served: Served) -> LiveStream:
        """A cached answer replayed as a stream, chunked as a provider would send it."""
        events: list[Event] = [TextDelta(chunk) for chunk in _REPLAY_CHUNK.findall(hit.content)]
        events += [Finish(hit.finish_reason), UsageReport(hit.usage)]
        return cls(served, None, iter(events))

    def events(self) -> Iterator[Event]:
        if self._first is not None:
            first, self._first = self._first, None
            yield self._seen(first)
        try:
            for event in self._rest:
                yield self._seen(event)
        except ProviderError as exc:
            self._failure = exc
            raise

    def _seen(self, event: TextDelta | Finish | UsageReport) -> Event:
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, Finish):
            self._finish = event.reason
        else:
            self._usage = event.usage
        return event

    def close(self) -> None:
        if isinstance(self._rest, Stream):
            self._rest.close()
        if self._settled:
            return
        self._settled = True
        engine, clock, caller, call, billed = (
            self._engine,
            self._clock,
            self._caller,
            self._call,
            self._billed,
        )
        assert engine is not None and clock is not None and caller is not None
        assert call is not None and billed is not None
        text = "".join(self._text)
        complete = self._failure is None and self._finish is not None and self._usage is not None
        if complete:
            assert self._usage is not None
            usage = self._usage
        elif self._failure is not None and self._failure.partial_usage is not None:
            usage = self._failure.partial_usage
        else:  # cut short by the client: what was produced, counted by Taproot
            usage = Usage(
                input_tokens=count_message_tokens(call.messages),
                output_tokens=count_tokens(text),
                estimated=True,
            )
        try:
            self.served.usage_row = engine.bill(
                clock.elapsed_ms(),
                caller,
                billed,
                route=self.served.route,
                provider=self.served.provider,
                usage=usage,
                status="ok" if complete else "partial",
            )
            if complete and self._entry is not None:
                response = ChatResponse(
                    id=self.response_id,
                    model=self.served.route.upstream_model,
                    content=text,
                    finish_reason=self._finish or "stop",
                    usage=usage,
                    provider=self.served.provider,
                )
                cache.store(engine.db, caller, self._entry, response, call.policy.ttl)
        except SidecarError:
            # the client has its answer (or is gone); the ledger failure is the operator's
            log.exception("could not record the usage of stream %s", billed.request_id)

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def failure(self) -> ProviderError | None:
        return self._failure
