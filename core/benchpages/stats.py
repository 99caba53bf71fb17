"""The figures of a slice of load and the verdict of a page against its floor.

Percentiles are exact, by nearest rank over every request's own latency (no histogram buckets): with a few
hundred requests a page, the p99 is a real request's time.
"""

import math
from dataclasses import asdict, dataclass, field

from .registry import KINDS, MAX_SECONDS


def percentile(sorted_values, q):
    """Nearest-rank percentile ``q`` (0–100) of an ascending list; None for an empty one."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Sample:
    seconds: float
    status: int  # 0: no answer (timeout or connection error)
    timeout: bool = False
    ok: bool = True


@dataclass
class Summary:
    requests: int = 0
    seconds: float = 0.0  # wall time the slices took, summed
    rps: float = 0.0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    errors: int = 0
    timeouts: int = 0
    statuses: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


def summarise(samples, seconds):
    """Summary of the samples of one or more slices that took ``seconds`` of wall time in all."""
    latencies = sorted(s.seconds for s in samples if not s.timeout)
    statuses = {}
    for s in samples:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return Summary(
        requests=len(samples), seconds=seconds, rps=len(samples) / seconds if seconds else 0.0,
        p50=percentile(latencies, 50), p95=percentile(latencies, 95), p99=percentile(latencies, 99),
        max=latencies[-1] if latencies else None,
        errors=sum(1 for s in samples if not s.ok and not s.timeout), timeouts=sum(1 for s in samples if s.timeout),
        statuses=statuses,
    )


def ratio(value, floor):
    if value is None or not floor:
        return None
    return value / floor


@dataclass
class Verdict:
    p95_ratio: float | None
    rps_ratio: float | None
    passed: bool
    reasons: list

    def as_dict(self):
        return asdict(self)


def verdict(kind, page, floor):
    """PASS when the page's p95 is within its kind's multiple of its floor's p95, no request took over
    MAX_SECONDS, and none timed out or failed (a wrong status counts as failed); FAIL says why."""
    target = KINDS[kind]
    reasons = []
    p95_ratio, rps_ratio = ratio(page.p95, floor.p95), ratio(page.rps, floor.rps)
    if not page.requests:
        reasons.append("no request answered")
    if p95_ratio is None:
        reasons.append("no p95 to compare")
    elif p95_ratio > target.max_ratio:
        reasons.append(f"p95 {p95_ratio:.2f}× floor > {target.max_ratio:g}×")
    if page.max is not None and page.max > MAX_SECONDS:
        reasons.append(f"max {page.max:.2f} s > {MAX_SECONDS:g} s")
    if page.timeouts:
        reasons.append(f"{page.timeouts} timeouts")
    if page.errors:
        reasons.append(f"{page.errors} errors")
    return Verdict(p95_ratio=p95_ratio, rps_ratio=rps_ratio, passed=not reasons, reasons=reasons)
