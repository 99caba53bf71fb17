"""Page parts cached under the registry version (estates/selectors.py registry_version) are forgotten when the
registry changes: a save or delete of an estate, firm or agency, or an Excel import (estates/signals.py).
The version is forgotten now and again after the commit (core/cache.py), so the next page reads the new rows.
Coordinators have a version of their own (roster_version), forgotten by every save or delete of one."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core import cache

from .models import Agency, Coordinator, Estate, PropertyFirm
from .selectors import REGISTRY_VERSION_KEY, ROSTER_VERSION_KEY
from .signals import registry_imported


@receiver([post_save, post_delete], sender=Estate, dispatch_uid="estates-registry-version-estate")
@receiver([post_save, post_delete], sender=PropertyFirm, dispatch_uid="estates-registry-version-firm")
@receiver([post_save, post_delete], sender=Agency, dispatch_uid="estates-registry-version-agency")
def registry_saved(sender, **kwargs):
    cache.forget_now_and_on_commit(REGISTRY_VERSION_KEY)


@receiver(registry_imported, dispatch_uid="estates-registry-version-import")
def registry_import_saved(sender, **kwargs):
    cache.forget_now_and_on_commit(REGISTRY_VERSION_KEY)


@receiver([post_save, post_delete], sender=Coordinator, dispatch_uid="estates-roster-version-coordinator")
def coordinator_saved(sender, **kwargs):
    """Coordinators are cached under their own version (estates/selectors.py roster_version)."""
    cache.forget_now_and_on_commit(ROSTER_VERSION_KEY)
