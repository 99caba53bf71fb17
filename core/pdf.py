"""The one PDF rendering service every printed document uses (WeasyPrint).

* :func:`render_pdf` renders a full-page template that extends ``print/base.html``
  (A4, margins, header with the issuing organisation and the print date, footer
  "第 N 页 共 M 页", ``lang="zh-Hans"``, Noto CJK SC through fontconfig).
* :func:`render_documents_pdf` renders many documents of one kind (a fragment template
  per document, e.g. one open letter per estate) as ONE HTML document and ONE PDF: a
  single layout pass shares the stylesheet and the font subset, which FLOORS.md measures
  at a third of the time of separate PDFs and a fraction of the size. A single notice is a
  batch of one, so single and batch output are the same.

Fonts are subset by WeasyPrint (its default, kept on purpose): a full Noto CJK face would
add megabytes to every file. Image options (``optimize_images``, ``jpeg_quality``,
``dpi``) are passed to ``HTML.render()``, where they take effect. The renderer fetches
nothing but ``data:`` URIs.
"""

import logging
import re
import threading
from contextlib import contextmanager

from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# WeasyPrint logs every layout step at INFO; a 300-page batch would flood the worker log.
_PROGRESS_LOGGER = logging.getLogger("weasyprint.progress")
_PROGRESS_LOGGER.setLevel(logging.WARNING)
_PAGE_RE = re.compile(r"Creating layout - Page (\d+)")


class _PageProgress(logging.Handler):
    """Hears WeasyPrint's "Creating layout - Page N" in this thread and reports it."""

    def __init__(self, callback):
        super().__init__(logging.INFO)
        self.callback, self.thread = callback, threading.get_ident()

    def emit(self, record):
        if record.thread == self.thread and (match := _PAGE_RE.search(record.getMessage())):
            self.callback(int(match.group(1)))


@contextmanager
def _layout_progress(callback):
    """Report pages laid out to ``callback(page_number)`` while the block runs (quietly)."""
    if callback is None:
        yield
        return
    handler = _PageProgress(callback)
    level, propagate = _PROGRESS_LOGGER.level, _PROGRESS_LOGGER.propagate
    _PROGRESS_LOGGER.addHandler(handler)
    _PROGRESS_LOGGER.setLevel(logging.INFO)
    _PROGRESS_LOGGER.propagate = False  # heard by our handler only, not printed
    try:
        yield
    finally:
        _PROGRESS_LOGGER.removeHandler(handler)
        _PROGRESS_LOGGER.setLevel(level)
        _PROGRESS_LOGGER.propagate = propagate

# The fonts the print stylesheet names; fonts-noto-cjk provides them (see README).
SANS_FONT = "Noto Sans CJK SC"
SERIF_FONT = "Noto Serif CJK SC"


def _css_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css(pages="counter(pages)"):
    """CSS ``content`` for "第 N 页 共 M 页" in the active language, built from one msgid.

    ``pages`` is the CSS value of M: the document's page count by default; a batch passes
    ``string(docpages)``, each document's own count.
    """
    label = _("第 {page} 页 共 {pages} 页")
    parts = []
    rest = label
    while rest:
        positions = [(rest.find(token), token) for token in ("{pages}", "{page}") if rest.find(token) >= 0]
        if not positions:
            parts.append(_css_string(rest))
            break
        index, token = min(positions)
        if index:
            parts.append(_css_string(rest[:index]))
        parts.append(pages if token == "{pages}" else "counter(page)")
        rest = rest[index + len(token):]
    return mark_safe(" ".join(parts))


def print_context(context=None, *, issuer="", title=""):
    """The values print/base.html expects, merged under the caller's context."""
    base = {
        "print_date": timezone.localdate(),
        "issuer": issuer,
        "doc_title": title,
        "page_counter_css": page_counter_css(),
        "doc_page_counter_css": page_counter_css("string(docpages)"),
        "sans_font": SANS_FONT,
        "serif_font": SERIF_FONT,
        "SITE_URL": settings.SITE_URL,
    }
    base.update(context or {})
    return base


def _layout(html, *, base_url=None, **options):
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Documents embed their pictures inline (SVG, data: URIs); refusing every other URL
    # means no text that reaches a page can make the renderer fetch anything.
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR), url_fetcher=fetcher).render(**options)


def html_to_pdf(html, *, base_url=None, progress=None, **options):
    """Lay out one HTML string and write it as PDF bytes."""
    document = _layout(html, base_url=base_url, **options)
    if progress:
        progress(len(document.pages))
    # No gc.collect() here: it costs ~1 s in a loaded Django process and does not lower
    # the peak, which is reached during layout.
    return document.write_pdf()


def render_pdf(template_name, context, *, request=None, issuer="", title="", **options):
    """Render a full-page print template (extending print/base.html) to PDF bytes.

    ``issuer`` goes into the running header, ``title`` into the PDF metadata.
    """
    html = render_to_string(template_name, print_context(context, issuer=issuer, title=title), request=request)
    return html_to_pdf(html, base_url=request.build_absolute_uri("/") if request else None, **options)


def render_documents_pdf(fragment_template, contexts, *, title="", common=None, request=None, progress=None,
                         **options):
    """Render one document per context with ``fragment_template`` into ONE PDF.

    Each fragment is wrapped in ``<section class="print-doc">`` and starts on a new page;
    a fragment sets the header's issuing organisation with an element of class
    ``print-issuer``. ``progress(percent)`` (optional) hears 0–60 while fragments are
    rendered, 60–85 as pages are laid out and 85 before the PDF is written.
    """
    bodies = render_fragments(fragment_template, contexts, common=common, title=title, request=request,
                              progress=progress)
    shared = print_context(common, title=title)
    base_url = request.build_absolute_uri("/") if request else None
    # Each document numbers its own pages ("第 1 页 共 1 页" on every posted letter, not
    # "第 137 页 共 300 页"). CSS has no per-group page total, so each section carries its
    # page count as a string the footer reads: guessed (one page, what notices are made
    # for), checked against the layout, and laid out once more only if a guess was wrong.
    counts = [1] * len(bodies)
    expected = max(len(bodies), 1)
    on_page = (lambda page: progress(60 + 25 * min(page, expected) // expected)) if progress else None
    for _attempt in range(2):
        html = documents_html(bodies, counts, shared, request=request)
        with _layout_progress(on_page):
            document = _layout(html, base_url=base_url, **options)
        actual = _pages_per_section(document, len(bodies))
        if actual == counts:
            break
        counts = actual
    if progress:
        progress(85)
    del bodies, html
    return document.write_pdf()


def render_fragments(fragment_template, contexts, *, common=None, title="", request=None, progress=None):
    """The HTML of each document of a batch (progress 0–60)."""
    template = get_template(fragment_template)
    shared = print_context(common, title=title)
    contexts = list(contexts)
    total = len(contexts) or 1
    bodies = []
    for index, context in enumerate(contexts, 1):
        bodies.append(mark_safe(template.render({**shared, **context}, request)))
        if progress and (index % 20 == 0 or index == total):
            progress(60 * index // total)
    return bodies


def documents_html(bodies, counts, shared, *, request=None):
    """ONE HTML document of all ``bodies``, each a section with its page count."""
    return render_to_string("print/documents.html", {**shared, "bodies": list(zip(bodies, counts, strict=True))},
                            request=request)


def _pages_per_section(document, sections):
    """How many pages each ``print-doc-<i>`` section spans, from the anchors of the pages."""
    first_page = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:  # a section split over pages is anchored on each of them
            if name.startswith("print-doc-"):
                first_page.setdefault(int(name[len("print-doc-"):]), number)
    firsts = [first_page[index] for index in sorted(first_page)]
    if len(firsts) != sections:
        return [1] * sections
    ends = firsts[1:] + [len(document.pages)]
    return [end - first for first, end in zip(firsts, ends, strict=True)]
