"""Prometheus metrics of one worker process, on a registry of its own.

Not the global `prometheus_client.REGISTRY`: each `Runner` has its own `Metrics`, so several
runners (tests) live in one interpreter and `/metrics` shows only this process's series.
Workers count their jobs through the objects here:

    ctx.metrics.jobs.labels(worker="webhooks", outcome="succeeded").inc()
    with ctx.metrics.job_duration.labels(worker="webhooks").time(): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

JOB_OUTCOMES = ("succeeded", "failed", "retried", "dead", "skipped")
"""Outcomes every worker reports under `luneo_jobs_total` (a worker may add its own)."""
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: from a local query (5 ms) to an HTTP call at its timeout (30 s)."""
POOL_GAUGES = ("pool_min", "pool_max", "pool_size", "pool_available", "requests_waiting")
"""`Pool.stats()` values that go up and down (`luneo_pool_min`, ...); the others are running totals
(`luneo_pool_requests_num_total`, ...)."""
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""What `generate_latest` writes, as prometheus_client's own server labels it when the scraper does
not ask for another format (every name here is valid in the classic text format)."""


class _PoolCollector(Collector):
    """`luneo_pool_*`: the pool's counters, read at every scrape."""

    def __init__(self, stats: Callable[[], Mapping[str, int]]) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        for key, value in sorted(self.stats().items()):
            name = f"luneo_pool_{key.removeprefix('pool_')}"
            if key in POOL_GAUGES:
                yield GaugeMetricFamily(name, f"Connection pool: {key.replace('_', ' ')}.", value=value)
            else:
                yield CounterMetricFamily(name, f"Connection pool: {key.replace('_', ' ')}.", value=value)


class Metrics:
    """Every metric of the process (docs/workers.md lists them)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.up = Gauge("luneo_worker_up", "1 while the process runs its workers.", registry=r)
        self.passes = Counter(
            "luneo_worker_passes", "Passes run (run_pass calls that returned).", ["worker"], registry=r
        )
        self.pass_errors = Counter(
            "luneo_worker_pass_errors", "Passes that raised (retried later).", ["worker"], registry=r
        )
        self.jobs = Counter(
            "luneo_jobs", "Jobs finished, by outcome (succeeded, failed, retried, dead, ...).",
            ["worker", "outcome"], registry=r,
        )  # fmt: skip
        self.job_duration = Histogram(
            "luneo_job_duration_seconds", "Time one job took (a delivery, a maintenance task).",
            ["worker"], buckets=DURATION_BUCKETS, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge("luneo_queue_depth", "Jobs pending in a queue.", ["queue"], registry=r)
        self.queue_oldest_age = Gauge(
            "luneo_queue_oldest_age_seconds", "Age of its oldest pending job.", ["queue"], registry=r
        )
        self.listen_connected = Gauge(
            "luneo_listen_connected", "1 while the LISTEN connection is up.", registry=r
        )
        self.listen_connections = Gauge(
            "luneo_listen_connections", "LISTEN connections made since start (1 + reconnects).", registry=r
        )
        self.database_ok = Gauge(
            "luneo_worker_database_ok", "1 when the last database round-trip succeeded.", registry=r
        )
        self._pool: _PoolCollector | None = None

    def track_workers(self, names: Iterable[str]) -> None:
        """Create each worker's series at 0, so that a rate is defined before the first event."""
        for name in names:
            self.passes.labels(worker=name)
            self.pass_errors.labels(worker=name)
            self.job_duration.labels(worker=name)
            for outcome in JOB_OUTCOMES:
                self.jobs.labels(worker=name, outcome=outcome)

    def track_pool(self, stats: Callable[[], Mapping[str, int]]) -> None:
        """Expose `luneo_pool_*` from `Pool.stats` (once per registry)."""
        if self._pool is None:
            self._pool = _PoolCollector(stats)
            self.registry.register(self._pool)

    def set_queues(self, stats: Mapping[str, tuple[int, float]]) -> None:
        for queue, (depth, oldest_age) in stats.items():
            self.queue_depth.labels(queue=queue).set(depth)
            self.queue_oldest_age.labels(queue=queue).set(oldest_age)

    def render(self) -> bytes:
        """The Prometheus text exposition of the registry."""
        return generate_latest(self.registry)
