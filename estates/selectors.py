"""Reads of the registry. Every function takes the user and returns only what they may see."""

from django.conf import settings
from django.db.models import Count, Q, Sum

from . import scoping
from .models import Agency, Coordinator, Estate, PropertyFirm


def agency_list(*, user):
    return scoping.restrict(Agency.objects.select_related("parent"), user, **scoping.AGENCY_LINKS)


def firm_list(*, user):
    return scoping.restrict(PropertyFirm.objects.select_related("district"), user, **scoping.FIRM_LINKS)


def estate_list(*, user):
    return scoping.restrict(
        Estate.objects.select_related("district", "street", "community", "firm"), user, **scoping.ESTATE_LINKS
    )


def estate_get(*, user, code):
    return scoping.get_or_404(estate_list(user=user), code=code)


def firm_get(*, user, pk):
    return scoping.get_or_404(firm_list(user=user), pk=pk)


def coordinator_list(*, user):
    return scoping.restrict(
        Coordinator.objects.select_related("estate", "estate__district", "estate__street", "estate__firm"),
        user,
        estate="estate",
    )


def firm_dashboard(*, firm):
    """Counts shown on a firm's dashboard, in one query."""
    return Estate.objects.filter(firm=firm, is_active=True).aggregate(
        estates=Count("pk"),
        households=Sum("households"),
        old=Count("pk", filter=Q(year_built__lt=settings.OLD_ESTATE_BEFORE_YEAR)),
        with_committee=Count("pk", filter=Q(has_owners_committee=True)),
    )
