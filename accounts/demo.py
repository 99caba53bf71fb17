"""The demo accounts that `make run` prints.

Stable across runs: `make run` calls this every time it starts. An account that exists keeps its
organisation and its password (changing either would move `demo-firm` to another firm and, since
the session carries a hash of the password, log everybody out). Only a missing account is created,
and one whose organisation is gone or of the wrong kind is re-attached.
"""

import os

from django.db.models import Count

from core.demo import register_demo_step
from estates.models import Agency, Estate, PropertyFirm

from .models import User

DEFAULT_DEMO_PASSWORD = "wenming2011"


def _picks():
    """Where new demo accounts go: the first district of the city, its street with most estates,
    and a grade-1 firm working in that street."""
    city = Agency.objects.filter(level=Agency.Level.CITY).order_by("pk").first()
    district = Agency.objects.filter(level=Agency.Level.DISTRICT, parent=city).order_by("pk").first()
    street = (
        Agency.objects.filter(level=Agency.Level.STREET, parent=district)
        .annotate(n=Count("street_estates")).order_by("-n", "pk").first()
    )
    firm = (
        PropertyFirm.objects.filter(estates__street=street).annotate(n=Count("estates"))
        .order_by("grade", "-n", "pk").first()
    ) or PropertyFirm.objects.filter(estates__isnull=False).order_by("grade", "pk").first()
    return {"city": city, "district": district, "street": street, "firm": firm}


SPECS = [
    # username, kind of organisation, fixed fields
    ("demo-city", "city", dict(role=User.Role.MANAGER, is_superuser=True, last_name="市住建委", first_name="演示")),
    ("demo-district", "district", dict(role=User.Role.MANAGER, last_name="区主管部门", first_name="演示")),
    ("demo-street", "street", dict(role=User.Role.STAFF, last_name="街道", first_name="演示")),
    ("demo-firm", "firm", dict(role=User.Role.MANAGER, last_name="物业企业", first_name="演示")),
]
LEVELS = {"city": Agency.Level.CITY, "district": Agency.Level.DISTRICT, "street": Agency.Level.STREET}


def _attached(user, kind):
    """Is the existing account still attached to an organisation of its kind?"""
    if kind == "firm":
        return user.firm_id is not None and user.agency_id is None and user.firm.estates.exists()
    return user.agency_id is not None and user.firm_id is None and user.agency.level == LEVELS[kind]


def _description(user, kind):
    if kind == "firm":
        return f"firm user — {user.firm} ({Estate.objects.filter(firm=user.firm).count()} estates)"
    if kind == "city":
        return f"city staff, superuser — {user.agency}"
    return f"{kind} staff — {user.agency}"


def ensure_demo_accounts(*, password):
    """Create the missing demo accounts (with ``password``), leave existing ones as they are.
    Returns [(username, description)]."""
    picks = None
    result = []
    for username, kind, fields in SPECS:
        user = User.objects.filter(username=username).select_related("agency", "firm").first()
        if user is None or not _attached(user, kind):
            picks = picks or _picks()
            org = {"firm": picks["firm"], "agency": None} if kind == "firm" else {"agency": picks[kind], "firm": None}
            if user is None:
                user = User(username=username, email=f"{username}@example.com", **{"is_superuser": False, **fields})
                user.set_password(password)
            for key, value in org.items():
                setattr(user, key, value)
            user.save()
        result.append((username, _description(user, kind)))
    return result


def demo_accounts_step(command, **options):
    """The setup_demo step (core/demo.py), last: the demo accounts and their logins."""
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    accounts = ensure_demo_accounts(password=password)
    command.stdout.write("")
    command.stdout.write(command.style.SUCCESS(f"Demo accounts (password: {password})"))
    for username, description in accounts:
        command.stdout.write(f"  {username:<14} {description}")


register_demo_step(90, demo_accounts_step)
