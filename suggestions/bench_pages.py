"""The suggestion box's part of `manage.py bench_pages` (core/benchpages/registry.py).

Bureau side (this block): the public league table and its index, the firm's poster page, the bureau's
statistics page and entry list. The poster PDFs are WeasyPrint downloads (one page per estate, like the
notices timed by bench_letters); the batch is a POST that starts a long job. Other parts of the app register
their pages below, each in its own block."""

from urllib.parse import quote

from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page, register_seed_step


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

# --- the residents' public pages (suggestions/public_views.py) ---------------------------------------
# The form and the tracking page of the firm user's first estate; the tracking page is that of an entry seeded
# here with a reply (its history, the firm's answer, the resident's forms). The estate search with a word that
# finds a page of estates.


def seed_public_entry(ctx):
    """One answered entry of the firm's first estate, for the tracking page (left alone when already there)."""
    from estates.bench_pages import firm_estate

    from . import services
    from .models import Category, Suggestion

    estate = firm_estate(ctx)
    if Suggestion.private_objects.filter(estate=estate, source=Suggestion.Source.WEB).exists():
        return
    entry = services.suggestion_submit(estate=estate, category=Category.FACILITIES, name="王阿姨",
                                       mobile="13800138000", consent_contact=True,
                                       text="小区东门的路灯坏了三天，晚上回家很不安全。")
    services.suggestion_reply(suggestion=entry, user=ctx.users["firm"], text="已安排电工明天上午更换灯泡。")


def _tracked(ctx):
    from estates.bench_pages import firm_estate

    from .models import Suggestion

    entry = Suggestion.private_objects.filter(estate=firm_estate(ctx), source=Suggestion.Source.WEB).order_by("pk")
    return entry.values_list("token", flat=True).first()


def _estate_code(ctx):
    from estates.bench_pages import firm_estate

    return firm_estate(ctx).code


def _estate_name(ctx):
    from estates.bench_pages import firm_estate

    return firm_estate(ctx).name


register_seed_step(70, seed_public_entry, name="suggestions.public_entry")
register_page("public.suggestion_form", role="anonymous", pattern="suggestions:suggest",
              url=lambda ctx: reverse("suggestions:suggest", args=[_estate_code(ctx)]))
register_page("public.suggestion_track", role="anonymous", pattern="suggestions:track",
              url=lambda ctx: reverse("suggestions:track", args=[_tracked(ctx)]))
register_page("public.estate_find", role="anonymous", pattern="suggestions:find",
              url=lambda ctx: reverse("suggestions:find") + "?q=" + quote(_estate_name(ctx)[:2]))
register_exemption("suggestions:text_size", "the large-text switch: sets a cookie and redirects back (no page)")
register_exemption("suggestions:track_photo", "a photo file of a tracked entry (FileResponse of a stored JPEG)")
register_exemption("suggestions:track_photo_thumb", "a photo's thumbnail (FileResponse of a stored JPEG)")

# --- the firm's inbox (suggestions/portal_views.py) ----------------------------------------------------------
# The firm user's inbox with more than a page of entries of its estates (a third late, a third answered), newest
# first and the overdue filter by deadline; one entry with a history (acknowledged, a follow-up, a reply); the
# reply templates and one template's form. The steps are POSTs (a GET goes back to the entry) and the photos
# are files.


def seed_inbox(ctx, *, entries=80):
    """``entries`` entries of the firm user's estates over the last three weeks, played through the services."""
    import datetime
    import random
    from unittest import mock

    from django.utils import timezone

    from estates.models import Estate

    from . import services
    from .models import Category, ReplyTemplate

    user = ctx.users["firm"]
    estates = list(Estate.objects.filter(firm_id=user.firm_id, is_active=True).order_by("code")[:10])
    rng = random.Random(ctx.seed)
    now = timezone.now()
    for i in range(entries):
        received = now - datetime.timedelta(days=rng.randint(0, 21), hours=rng.randint(0, 12))
        entry = services.suggestion_submit(estate=estates[i % len(estates)], category=rng.choice(Category.values),
                                           text="单元门的门禁刷卡失灵，门一直关不上，晚上不安全。", name="李女士",
                                           mobile="13900000000", received=received)
        if i % 3 == 0:
            with mock.patch.object(timezone, "now", return_value=received + datetime.timedelta(hours=2)):
                services.suggestion_acknowledge(suggestion=entry, user=user)
                services.suggestion_follow_up(suggestion=entry, text="今天早上门还是坏的。")
                services.suggestion_reply(suggestion=entry, user=user, text="已通知门禁维修单位，今天下午到场。")
    for title in ("门禁维修", "路灯维修", "加强保洁"):
        ReplyTemplate.objects.get_or_create(firm_id=user.firm_id, title=title, defaults={"text": "已安排人员处理。"})
    ctx.say(f"  {entries} suggestion-box entries of the firm user's estates")


def _inbox_entry(ctx):
    from .models import Suggestion, SuggestionEvent

    return (Suggestion.private_objects.filter(firm_id=ctx.users["firm"].firm_id,
                                              events__kind=SuggestionEvent.Kind.REPLY)
            .order_by("pk").values_list("number", flat=True).first())


def _reply_template(ctx):
    from .models import ReplyTemplate

    return ReplyTemplate.objects.filter(firm_id=ctx.users["firm"].firm_id).order_by("pk").values_list(
        "pk", flat=True).first()


register_seed_step(75, seed_inbox, name="suggestions.inbox")
register_page("portal.suggestion_inbox", role="firm", pattern="suggestions:inbox",
              url=lambda ctx: reverse("suggestions:inbox"))
register_page("portal.suggestion_inbox.overdue", role="firm", pattern="suggestions:inbox",
              url=lambda ctx: reverse("suggestions:inbox") + "?overdue=on&order=due")
register_page("portal.suggestion_detail", role="firm", pattern="suggestions:inbox_detail",
              url=lambda ctx: reverse("suggestions:inbox_detail", args=[_inbox_entry(ctx)]))
register_page("portal.reply_templates", role="firm", pattern="suggestions:reply_templates",
              url=lambda ctx: reverse("suggestions:reply_templates"))
register_page("portal.reply_template_edit", role="firm", pattern="suggestions:reply_template_edit",
              url=lambda ctx: reverse("suggestions:reply_template_edit", args=[_reply_template(ctx)]))
register_page("portal.reply_template_delete", role="firm", pattern="suggestions:reply_template_delete",
              url=lambda ctx: reverse("suggestions:reply_template_delete", args=[_reply_template(ctx)]))
for _step in ("acknowledge", "start", "reply", "resolve", "close", "refer"):
    register_exemption(f"suggestions:inbox_{_step}", "a step of the inbox: POST only (a GET redirects to the entry)")
register_exemption("suggestions:inbox_photo", "a photo file of an entry (FileResponse of a stored JPEG)")
register_exemption("suggestions:inbox_photo_thumb", "a photo's thumbnail (FileResponse of a stored JPEG)")
