"""The registry's part of `manage.py bench_pages` (core/benchpages/registry.py): the seeded city, the firm's
portal pages, the public estate page and the registry's admin lists."""

from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page, register_seed_step


def seed_city(ctx):
    """The deterministic demo city of estates.demo at the benchmark's size."""
    from .demo import build_city

    ctx.city = build_city(estates=ctx.estates, seed=ctx.seed)
    ctx.say(f"  {ctx.city.estates_created:,} estates, {len(ctx.city.firms):,} firms, "
            f"{len(ctx.city.streets):,} streets, {len(ctx.city.districts)} districts")


register_seed_step(10, seed_city, name="estates.city")


def firm_estate(ctx):
    """The firm user's first estate by code: the one its dashboard lists first."""
    from .models import Estate

    return Estate.objects.filter(firm_id=ctx.users["firm"].firm_id, is_active=True).order_by("code").first()


register_page("portal.firm_dashboard", role="firm", kind="dashboard", pattern="portal:dashboard",
              url=lambda ctx: reverse("portal:dashboard"))
register_page("portal.firm_edit", role="firm", pattern="portal:firm_edit", url=lambda ctx: reverse("portal:firm_edit"))
register_page("portal.estate_edit", role="firm", pattern="portal:estate_edit",
              url=lambda ctx: reverse("portal:estate_edit", args=[firm_estate(ctx).code]))
register_page("public.estate", role="anonymous", pattern="public:estate",
              url=lambda ctx: reverse("public:estate", args=[firm_estate(ctx).code]))
register_exemption("portal:estate_export", "an Excel download of the firm's estates (Excel is timed by bench_export)")

register_page("admin.estate_changelist", role="city", kind="changelist", pattern="admin:estates_estate_changelist",
              url=lambda ctx: reverse("admin:estates_estate_changelist"))
register_page("admin.estate_changelist.district", role="district", kind="changelist",
              pattern="admin:estates_estate_changelist", url=lambda ctx: reverse("admin:estates_estate_changelist"))
register_page("admin.firm_changelist", role="city", kind="changelist", pattern="admin:estates_propertyfirm_changelist",
              url=lambda ctx: reverse("admin:estates_propertyfirm_changelist"))
register_page("admin.agency_changelist", role="city", kind="changelist", pattern="admin:estates_agency_changelist",
              url=lambda ctx: reverse("admin:estates_agency_changelist"))
register_page("admin.coordinator_changelist", role="district", kind="changelist",
              pattern="admin:estates_coordinator_changelist",
              url=lambda ctx: reverse("admin:estates_coordinator_changelist"))
