"""x-taproot-overhead-ms: the time Taproot itself spent, the provider's time taken out.

The fake provider waits fake_latency_ms before its first token, so a call's wall time is
at least that; the header must leave it out (it is measured on the event loop around the
provider call) yet stay a real, positive figure (the hand-offs and the ledger's begin are
Taproot's own). The usage row of a whole answer is written after the answer is sent, so
it is not part of the header, and the row still arrives.
"""

from __future__ import annotations

import time

from tests.sidecar.conftest import Sidecar, Tenant, recorded
from tests.sidecar.test_ledger import chat

LATENCY_MS = 400


def test_whole_answer_overhead_leaves_the_provider_out(sidecar: Sidecar, tenant: Tenant) -> None:
    began = time.perf_counter()
    answer = chat(sidecar, tenant, fake_latency_ms=LATENCY_MS)
    wall_ms = (time.perf_counter() - began) * 1000
    assert answer.status_code == 200
    overhead = float(answer.headers["x-taproot-overhead-ms"])
    assert wall_ms >= LATENCY_MS
    assert 0 < overhead < LATENCY_MS / 2, overhead
    recorded(sidecar, tenant.workspace_id, 1)


def test_stream_overhead_to_first_byte_leaves_the_provider_out(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    answer = chat(sidecar, tenant, stream=True, fake_latency_ms=LATENCY_MS)
    assert answer.status_code == 200
    overhead = float(answer.headers["x-taproot-overhead-ms"])
    assert 0 < overhead < LATENCY_MS / 2, overhead


def test_a_failed_call_counts_its_upstream_attempts_as_upstream(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    answer = chat(
        sidecar, tenant, fake_fail="permanent", fake_latency_ms=LATENCY_MS, fake_fail_times=1
    )
    assert answer.status_code == 400
    assert float(answer.headers["x-taproot-overhead-ms"]) < LATENCY_MS / 2
