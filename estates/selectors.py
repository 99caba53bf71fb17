"""Reads of the registry. Every function takes the user and returns only what they may see."""

import hashlib
import secrets

from django.conf import settings
from django.db.models import Count, Q, Sum

from core import cache

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


# What a resident may read about an estate without logging in (the page behind the QR code on printed
# notices). Anything not listed here (households, coordinators, contact persons, mobiles) stays private.
PUBLIC_ESTATE_FIELDS = (
    "code", "name", "address", "has_owners_committee", "hotline", "complaint_phone", "firm",
    "district__name", "district__short_name", "street__name", "street__short_name",
    "firm__name", "firm__hotline", "firm__complaint_phone",
)


def estate_public_get(*, code):
    """An active estate by its public code, with only its public fields; 404 for unknown or inactive codes."""
    queryset = (
        Estate.objects.filter(is_active=True)
        .select_related("district", "street", "firm")
        .only(*PUBLIC_ESTATE_FIELDS)
    )
    return scoping.get_or_404(queryset, code=(code or "").strip().upper())


#: How long a page part cached under the registry version lives at most.
REGISTRY_TTL = 300
REGISTRY_VERSION_KEY = "estates:registry-version"


def registry_version():
    """A random token renewed by every save or delete of an estate, firm or agency and by every Excel import of
    the registry (estates/receivers.py): what page parts showing registry rows are cached under (core/cache.py)."""
    return cache.cached(REGISTRY_VERSION_KEY, lambda: secrets.token_hex(8), REGISTRY_TTL * 2)


ROSTER_VERSION_KEY = "estates:roster-version"


def roster_version():
    """A random token renewed by every save or delete of a coordinator (estates/receivers.py; the portal's filing,
    its roster upload and the admin all save them one by one): what page parts showing coordinators are cached
    under, with the registry version (their estates)."""
    return cache.cached(ROSTER_VERSION_KEY, lambda: secrets.token_hex(8), REGISTRY_TTL * 2)


def registry_cache_key(name, *parts):
    """A cache key for a page part built from the registry: its name, the registry version and ``parts`` (who,
    what query, which language); hashed, so that hostile query strings make no long keys."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]
    return f"estates:{name}:{registry_version()}:{digest}"
