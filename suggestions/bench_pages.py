"""The suggestion box's part of `manage.py bench_pages` (core/benchpages/registry.py).

Bureau side (this block): the public league table and its index, the firm's poster page, the bureau's
statistics page and entry list. The poster PDFs are WeasyPrint downloads (one page per estate, like the
notices timed by bench_letters); the batch is a POST that starts a long job. Other parts of the app register
their pages below, each in its own block."""

from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page


def _district(ctx):
    return ctx.users["district"].agency_id


register_page("public.suggestions_league", role="anonymous", pattern="suggestions:league",
              url=lambda ctx: reverse("suggestions:league", args=[_district(ctx)]),
              note="figures cached SUGGESTION_LEAGUE_CACHE_SECONDS: the steady state is the cached page")
register_page("public.suggestions_league_index", role="anonymous", pattern="suggestions:league_index",
              url=lambda ctx: reverse("suggestions:league_index"))
register_page("portal.suggestion_posters", role="firm", pattern="suggestions:posters",
              url=lambda ctx: reverse("suggestions:posters"))
register_page("admin.suggestion_stats", role="district", kind="dashboard", pattern="admin:suggestions_suggestion_stats",
              url=lambda ctx: reverse("admin:suggestions_suggestion_stats") + "?by=estate")
register_page("admin.suggestion_changelist", role="city", kind="changelist",
              pattern="admin:suggestions_suggestion_changelist",
              url=lambda ctx: reverse("admin:suggestions_suggestion_changelist"))
register_exemption("suggestions:poster_pdf", "a PDF download (WeasyPrint, one page per estate), as bench_letters")
register_exemption("suggestions:poster_batch", "POST only: starts the poster batch job")

# --- the hotline API (suggestions/api.py) ----------------------------------------------------------
# Not pages: JSON for the hotline platform's machines behind a bearer token (the page benchmark's sessions are
# cookies, which these addresses answer with a 401). Their cost is one query for the token and one for the rows,
# whatever the length (tests/suggestions/test_api.py counts them); the residents' form under load is
# `manage.py bench_suggestions`.
for _pattern in ("suggestions:api_services", "suggestions:api_requests", "suggestions:api_request"):
    register_exemption(_pattern, "hotline API: JSON behind a bearer token, not a page (its queries are counted in "
                                 "tests/suggestions/test_api.py)")
