"""The accounts' part of `manage.py bench_pages` (core/benchpages/registry.py): one user per role, and the
account pages."""

from django.db.models import Count
from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page, register_seed_step


def seed_users(ctx):
    """A superuser, a city officer, a district officer, a street officer and a firm user (a manager, who
    sees the firm's users page), through the real model. Each at the heaviest place of the seeded city: the
    district and street with most estates, the firm with most estates, so a page shows the most it can."""
    from estates.models import Agency, PropertyFirm

    from .models import User

    city = ctx.city.city
    district = (Agency.objects.filter(level=Agency.Level.DISTRICT, parent=city)
                .annotate(n=Count("district_estates")).order_by("-n", "pk").first())
    street = (Agency.objects.filter(level=Agency.Level.STREET, parent=district)
              .annotate(n=Count("street_estates")).order_by("-n", "pk").first())
    firm = PropertyFirm.objects.annotate(n=Count("estates")).order_by("-n", "pk").first()
    specs = {
        "superuser": dict(agency=city, is_superuser=True, role=User.Role.MANAGER),
        "city": dict(agency=city, role=User.Role.MANAGER),
        "district": dict(agency=district, role=User.Role.MANAGER),
        "street": dict(agency=street, role=User.Role.STAFF),
        "firm": dict(firm=firm, role=User.Role.MANAGER),
    }
    for role, fields in specs.items():
        user = User(username=f"bench-{role}", email=f"bench-{role}@example.com", last_name="测试", first_name=role,
                    **fields)
        user.set_unusable_password()
        user.save()
        ctx.users[role] = user
    ctx.say(f"  users: district {district} ({district.n} estates), street {street} ({street.n}), "
            f"firm {firm} ({firm.n} estates)")


register_seed_step(20, seed_users, name="accounts.users")

register_page("accounts.login", role="anonymous", pattern="accounts:login", url=lambda ctx: reverse("accounts:login"))
register_page("accounts.settings", role="firm", pattern="accounts:settings",
              url=lambda ctx: reverse("accounts:settings"))
register_page("accounts.firm_users", role="firm", pattern="accounts:firm_users",
              url=lambda ctx: reverse("accounts:firm_users"))
register_page("accounts.password_change", role="firm", pattern="accounts:password_change",
              url=lambda ctx: reverse("accounts:password_change"))
register_page("accounts.password_reset", role="anonymous", pattern="accounts:password_reset",
              url=lambda ctx: reverse("accounts:password_reset"))
register_page("admin.user_changelist", role="city", kind="changelist", pattern="admin:accounts_user_changelist",
              url=lambda ctx: reverse("admin:accounts_user_changelist"))

register_exemption("accounts:logout", "POST only (Django's LogoutView)")
register_exemption("accounts:firm_user_action", "POST only: an action on one firm user")
register_exemption("accounts:password_change_done", "the static page after a password change (a POST)")
register_exemption("accounts:password_reset_done", "the static page after a reset request (a POST)")
register_exemption("accounts:password_reset_confirm", "needs the token mailed to the user")
register_exemption("accounts:password_reset_complete", "the static page after a reset (a POST with a token)")
