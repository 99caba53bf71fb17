"""The demo accounts that `make run` prints."""

from django.db.models import Count

from estates.models import Agency, Estate, PropertyFirm

from .models import User

DEFAULT_DEMO_PASSWORD = "wenming2011"


def ensure_demo_accounts(*, password):
    """Create or refresh the four demo accounts. Returns [(username, description)]."""
    city = Agency.objects.filter(level=Agency.Level.CITY).order_by("pk").first()
    district = Agency.objects.filter(level=Agency.Level.DISTRICT, parent=city).order_by("pk").first()
    # The street of that district with most estates, and a grade-1 firm working in it.
    street = (
        Agency.objects.filter(level=Agency.Level.STREET, parent=district)
        .annotate(n=Count("street_estates")).order_by("-n", "pk").first()
    )
    firm = (
        PropertyFirm.objects.filter(estates__street=street).annotate(n=Count("estates"))
        .order_by("grade", "-n", "pk").first()
    ) or PropertyFirm.objects.filter(estates__isnull=False).order_by("grade", "pk").first()
    specs = [
        ("demo-city",
         dict(agency=city, role=User.Role.MANAGER, is_superuser=True, last_name="市住建委", first_name="演示"),
         f"city staff, superuser — {city}"),
        ("demo-district", dict(agency=district, role=User.Role.MANAGER, last_name="区主管部门", first_name="演示"),
         f"district staff — {district}"),
        ("demo-street", dict(agency=street, role=User.Role.STAFF, last_name="街道", first_name="演示"),
         f"street staff — {street}"),
        ("demo-firm", dict(firm=firm, role=User.Role.MANAGER, last_name="物业企业", first_name="演示"),
         f"firm user — {firm} ({Estate.objects.filter(firm=firm).count()} estates)"),
    ]
    result = []
    for username, fields, description in specs:
        user, _ = User.objects.get_or_create(username=username)
        for key, value in {"agency": None, "firm": None, "is_superuser": False, **fields}.items():
            setattr(user, key, value)
        user.email = f"{username}@example.com"
        user.set_password(password)
        user.save()
        result.append((username, description))
    return result
