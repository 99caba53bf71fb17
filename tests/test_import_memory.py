"""The Excel import's memory is flat in the number of rows (issue 16): the registry importers stream
(core/xlsx ``Importer.streaming``), so a sheet four times longer peaks at about the same Python
allocations — on the path that saves and on the path that finds errors and writes the marked copy.
tracemalloc, small sheets and small batches: fast, not timed."""

import io
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from estates.importers import ESTATE_SPEC, EstateImporter
from estates.models import Estate

N = 200
#: what a row may add to the peak: the tuple of its field values kept for the save and its code's entry
#: in the duplicate index, about 1 KB (0.4 KB on the error path, which keeps no tuples); the import that
#: kept every row as a Row, a model instance and their dicts grew by 3.6–4.4 KB a row here
BYTES_PER_ROW = 1500
BATCH = 50  # rows checked, and saved, at a time here (1,000 and 500 in production): several batches at N rows


def sheet(world, n, prefix, bad_every=0):
    workbook = Workbook(write_only=True)
    rows = workbook.create_sheet()
    rows.append([c.label for c in ESTATE_SPEC.columns])
    for i in range(n):
        bad = bad_every and i % bad_every == bad_every - 1
        rows.append([f"{prefix}{i:05d}", f"第{i}号小区", f"海曙区月湖路 {i} 号", "海曙区住建局", "月湖街道", "月湖社区",
                     world.firm.credit_code, "二类", 2001, "很多" if bad else 100 + i, 28000 + i, "是",
                     f"0574-8700{i % 10000:04d}", None, "是"])
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("estates.xlsx", out.getvalue())


def peak(world, upload):
    importer = EstateImporter(user=world.city_user)
    importer.batch_size = importer.save_batch = BATCH
    tracemalloc.start()
    try:
        result = importer.run(upload, store_marked_copy=False)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


@pytest.fixture
def warm(world):
    """One import first, so the caches that fill once per process (translations, parsers) are not
    counted in the first measured run."""
    assert EstateImporter(user=world.city_user).run(sheet(world, 20, "HW"), store_marked_copy=False).ok
    return world


def test_the_first_import_peaks_the_same_at_four_times_the_rows(warm):
    small, big = sheet(warm, N, "HA"), sheet(warm, 4 * N, "HB")
    small_peak, small_result = peak(warm, small)
    big_peak, big_result = peak(warm, big)
    assert (small_result.counts.created, big_result.counts.created) == (N, 4 * N)
    assert Estate.objects.filter(code__startswith="HB").count() == 4 * N
    assert big_peak - small_peak < 3 * N * BYTES_PER_ROW, (small_peak, big_peak)


def test_the_error_path_peaks_the_same_at_four_times_the_rows(warm):
    small, big = sheet(warm, N, "HC", bad_every=10), sheet(warm, 4 * N, "HD", bad_every=10)
    small_peak, small_result = peak(warm, small)
    big_peak, big_result = peak(warm, big)
    assert (len(small_result.errors), len(big_result.errors)) == (N // 10, 4 * N // 10)
    assert big_result.marked_copy and not Estate.objects.filter(code__startswith="HD").exists()
    assert big_peak - small_peak < 3 * N * BYTES_PER_ROW, (small_peak, big_peak)
