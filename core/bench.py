"""How the benchmark commands measure: one query counter, one clock, one memory figure.

Every ``bench_*`` management command reports the same three things the same way, so their
figures in the README compare with each other and with ../shared/FLOORS.md:

* **queries** — :class:`QueryCounter`, a ``connection.execute_wrapper``: it counts every
  statement the block sends (an ``executemany`` is one), works with ``DEBUG=False`` and keeps
  no SQL text, so a 100,000-row run does not grow a list of queries the way
  ``CaptureQueriesContext`` does;
* **time** — wall-clock (``perf_counter``) and this process's CPU (``process_time``): on a
  shared machine the CPU time says what the work cost when the wall clock waited for a core;
* **peak memory** — the resident set's high-water mark of the process *over the block*
  (Linux ``VmHWM`` after resetting it through ``/proc/self/clear_refs``, so the seeding before
  does not count). Where the reset is impossible (not Linux, no /proc) it falls back to
  ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the high-water mark of the whole process
  life, and says so (``peak_scope == "process"``). RSS is what the server's memory limit
  sees: Python objects plus openpyxl's, lxml's and the database driver's C allocations.
  :func:`traced_peak` gives the other figure some benchmarks want — Python allocations at
  their peak, through ``tracemalloc`` — which slows the code it traces, so run it in a
  separate pass, never around the timed one.

    with measure() as m:                 # m.seconds, m.cpu, m.peak_mb, m.peak_scope, m.queries
        publish(...)
    with traced_peak() as t:             # t.peak_bytes (Python allocations only)
        publish(...)
"""

import gc
import resource
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections


class QueryCounter:
    """Counts the statements sent to one database while the block runs (nesting is fine)."""

    def __init__(self, using=DEFAULT_DB_ALIAS):
        self.using = using
        self.count = 0
        self._wrapper = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connections[self.using].execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        self._wrapper = None
        return False

    def __len__(self):
        return self.count


def _status_mb(key):
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb():
    """The resident set now (MB); the process's high-water mark where /proc is missing."""
    value = _status_mb("VmRSS")
    return value if value is not None else _maxrss_mb()


def reset_peak():
    """Reset the kernel's RSS high-water mark to the current RSS; False where impossible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_mb("VmHWM") is not None


def peak_rss_mb():
    """The RSS high-water mark (MB) since the last :func:`reset_peak` (or the process start)."""
    value = _status_mb("VmHWM")
    return value if value is not None else _maxrss_mb()


@dataclass
class Measurement:
    seconds: float = 0.0
    cpu: float = 0.0
    peak_mb: float = 0.0
    #: "block" when peak_mb is the high-water mark of the block alone, "process" when the reset was
    #: impossible and it is the whole process's
    peak_scope: str = "block"
    queries: int = 0

    def __getitem__(self, name):  # m["seconds"]: the dict the benchmarks used to get
        return getattr(self, name)


@contextmanager
def measure(using=DEFAULT_DB_ALIAS):
    """Time, CPU, peak RSS and query count of the block (see the module docstring)."""
    result = Measurement()
    gc.collect()
    result.peak_scope = "block" if reset_peak() else "process"
    counter = QueryCounter(using)
    t0, c0 = time.perf_counter(), time.process_time()
    with counter:
        try:
            yield result
        finally:
            result.seconds = time.perf_counter() - t0
            result.cpu = time.process_time() - c0
            result.peak_mb = peak_rss_mb()
            result.queries = counter.count


@dataclass
class Traced:
    peak_bytes: int = 0

    @property
    def peak_mb(self):
        return self.peak_bytes / 1024 / 1024


@contextmanager
def traced_peak():
    """Peak Python allocations (tracemalloc) inside the block; slow, so never around a timed run."""
    result = Traced()
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield result
    finally:
        _current, result.peak_bytes = tracemalloc.get_traced_memory()
        if started:
            tracemalloc.stop()
