"""bench.stripe at a tiny size: its figures are there and every event posted (half of them twice)
ends applied or ignored, once. No timing is asserted (docs/benchmarks.md)."""

from __future__ import annotations

from bench import stripe


def test_bench_stripe_reports_its_figures_and_applies_every_event(db_url: str) -> None:
    figures = stripe.run(db_url, count=60, concurrency=4, organizations=5)
    assert figures["posts"] == 90  # the second half posted twice
    assert (figures["not_applied"], figures["missing"]) == (0, 0)
    assert sum(figures["outcomes"].values()) == 120  # the receive run's 60 and the stored 60
    assert figures["received_per_second"] > 0
    assert figures["applied_per_second"] > 0
    assert figures["receive_latency_ms"]["p99"] >= figures["receive_latency_ms"]["p50"] > 0
    assert figures["targets"]["meets_applied"] == (figures["applied_per_second"] >= stripe.APPLIED_TARGET)
