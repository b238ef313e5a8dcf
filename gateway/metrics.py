"""Per-process request metrics in Prometheus' text format (GET /metrics).

Counters are plain ints updated on the event loop thread: no locks, no allocations
beyond a dict lookup per request. Each worker process reports its own numbers, labelled
with its pid.
"""

from __future__ import annotations

import bisect
import os

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.by_status: dict[int, int] = {}
        self.bucket_counts = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0
        self.count = 0
        self.schema_reloads = 0

    def observe(self, status: int, seconds: float) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1
        self.bucket_counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.latency_sum += seconds
        self.count += 1

    def render(self, pool: dict[str, int], cache_age: float | None) -> bytes:
        pid = os.getpid()
        lines = [
            "# HELP gateway_requests_total HTTP requests answered, by status.",
            "# TYPE gateway_requests_total counter",
        ]
        for status in sorted(self.by_status):
            lines.append(
                f'gateway_requests_total{{status="{status}",pid="{pid}"}} {self.by_status[status]}'
            )
        lines += [
            "# HELP gateway_request_duration_seconds Time from request to response.",
            "# TYPE gateway_request_duration_seconds histogram",
        ]
        cumulative = 0
        for bound, n in zip(BUCKETS, self.bucket_counts, strict=False):
            cumulative += n
            lines.append(
                f'gateway_request_duration_seconds_bucket{{le="{bound}",pid="{pid}"}} {cumulative}'
            )
        lines.append(
            f'gateway_request_duration_seconds_bucket{{le="+Inf",pid="{pid}"}} {self.count}'
        )
        lines.append(f'gateway_request_duration_seconds_sum{{pid="{pid}"}} {self.latency_sum}')
        lines.append(f'gateway_request_duration_seconds_count{{pid="{pid}"}} {self.count}')
        lines += [
            "# HELP gateway_db_pool_connections Connections in the pool, by state.",
            "# TYPE gateway_db_pool_connections gauge",
            f'gateway_db_pool_connections{{state="open",pid="{pid}"}} {pool["size"]}',
            f'gateway_db_pool_connections{{state="idle",pid="{pid}"}} {pool["idle"]}',
            f'gateway_db_pool_connections{{state="max",pid="{pid}"}} {pool["max"]}',
            "# HELP gateway_schema_cache_age_seconds Seconds since the schema cache loaded.",
            "# TYPE gateway_schema_cache_age_seconds gauge",
        ]
        if cache_age is not None:
            lines.append(f'gateway_schema_cache_age_seconds{{pid="{pid}"}} {cache_age:.3f}')
        return ("\n".join(lines) + "\n").encode()
