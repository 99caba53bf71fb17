"""Sections a later app adds to the campaign summary report (documents), without either app importing
the other: the app registers a section here, the report renders whatever is registered.

An app registers from its ``AppConfig.ready``::

    from core import report_sections

    report_sections.register(report_sections.ReportSection(
        key="suggestions", title=gettext_lazy("网上意见箱办理情况"), order=10,
        template="print/report_sections/suggestions.html", context=suggestion_section))

``context(*, campaign, user, agency, start, end)`` returns the template's context (a dict of plain values)
for the report of ``agency`` (the city or a district) over ``start``–``end`` (dates), or ``None`` to leave
the section out. It reads only what ``user`` may see, in a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ReportSection:
    key: str
    title: Any  # a lazy translation
    template: str
    context: Callable[..., dict | None]
    order: int = 100


_registry: dict[str, ReportSection] = {}


def register(section):
    if not isinstance(section, ReportSection):
        raise ImproperlyConfigured(f"report_sections.register() takes a ReportSection, not {section!r}")
    if section.key in _registry and _registry[section.key] != section:
        raise ImproperlyConfigured(f"report section {section.key!r} is already registered")
    _registry[section.key] = section
    return section


def unregister(key):
    _registry.pop(key, None)


def sections():
    return sorted(_registry.values(), key=lambda s: (s.order, s.key))


def build(*, campaign, user, agency, start, end):
    """[{"key", "title", "template", "context"}] of every registered section that has something to say."""
    out = []
    for section in sections():
        context = section.context(campaign=campaign, user=user, agency=agency, start=start, end=end)
        if context is not None:
            out.append({"key": section.key, "title": section.title, "template": section.template,
                        "context": context})
    return out
