"""core/bench.py: the one way every benchmark command counts queries and measures time and memory."""

import ast
from pathlib import Path

import pytest

from core.bench import QueryCounter, measure, traced_peak

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_query_counter_counts_every_statement_of_the_block_only():
    from accounts.models import User

    User.objects.count()
    with QueryCounter() as outer:
        User.objects.count()
        with QueryCounter() as inner:
            list(User.objects.all())
            User.objects.exists()
    User.objects.count()
    assert (outer.count, inner.count) == (3, 2)


@pytest.mark.django_db
def test_measure_reports_time_cpu_queries_and_the_peak_of_the_block():
    from accounts.models import User

    with measure() as m:
        User.objects.count()
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])  # touch the pages so they are resident
        del block
    assert m.queries == 1 and m.seconds > 0 and m.cpu >= 0
    assert m.peak_scope in ("block", "process")
    assert m.peak_mb >= 64
    assert m["seconds"] == m.seconds  # the mapping the commands' report lines use


def test_traced_peak_counts_python_allocations():
    with traced_peak() as t:
        data = [str(i) * 10 for i in range(100_000)]
        del data
    assert t.peak_mb > 1


def test_every_benchmark_measures_through_core_bench():
    """No command counts queries or memory its own way (execute_wrapper, CaptureQueriesContext, getrusage,
    tracemalloc, /proc): they all use core/bench.py."""
    own_ways = {"execute_wrapper", "CaptureQueriesContext", "getrusage", "tracemalloc", "ru_maxrss", "clear_refs"}
    commands = [*ROOT.glob("*/management/commands/bench_*.py"), *ROOT.glob("*/management/commands/_bench*.py")]
    assert len(commands) >= 6
    for path in sorted(commands):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        names = {getattr(node, "id", None) or getattr(node, "attr", None) for node in ast.walk(tree)}
        names |= {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                  for alias in node.names}
        found = names & own_ways
        assert not found, f"{path.relative_to(ROOT)} measures by itself: {sorted(found)}"
        if path.name.startswith("bench_"):
            assert "core.bench" in source, f"{path.relative_to(ROOT)} does not use core/bench.py"
