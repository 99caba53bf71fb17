"""The report-section registry (core/report_sections.py): later apps add sections to the campaign summary report."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import report_sections


@pytest.fixture
def toy_sections():
    calls = []

    def quiet(**kwargs):
        calls.append(kwargs)
        return None

    loud = report_sections.ReportSection(key="toy_loud", title="响", template="t.html", order=1,
                                         context=lambda **kw: {"n": 1})
    report_sections.register(loud)
    report_sections.register(report_sections.ReportSection(key="toy_quiet", title="静", template="t.html",
                                                           order=2, context=quiet))
    yield loud, calls
    report_sections.unregister("toy_loud")
    report_sections.unregister("toy_quiet")


def test_sections_are_built_in_order_and_a_none_context_leaves_one_out(world, toy_sections):
    _loud, calls = toy_sections
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
    built = report_sections.build(campaign=None, user=world.district_user, agency=world.district, start=start,
                                  end=end)
    keys = [s["key"] for s in built]
    assert keys.index("toy_loud") < keys.index("suggestions") and "toy_quiet" not in keys
    assert calls == [{"campaign": None, "user": world.district_user, "agency": world.district, "start": start,
                      "end": end}]
    assert next(s for s in built if s["key"] == "toy_loud")["context"] == {"n": 1}


def test_a_key_is_registered_once(toy_sections):
    loud, _calls = toy_sections
    report_sections.register(loud)  # the same section again: fine
    with pytest.raises(ImproperlyConfigured):
        report_sections.register(report_sections.ReportSection(key="toy_loud", title="另一个", template="x.html",
                                                               context=lambda **kw: None))
    with pytest.raises(ImproperlyConfigured):
        report_sections.register({"key": "not a section"})
