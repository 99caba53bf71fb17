"""Keep obligations in step with the registry.

When an estate, firm or agency is saved, the obligations of published campaigns that now
apply to it and whose periods have not ended are created (services.obligations_sync), and
the denormalised district/street/reviewer of its existing obligations follow it. The Excel
import of the registry saves in bulk (no ``post_save``) and sends estates.signals.registry_imported
once instead: its receiver does the same for the whole import.

The work runs inside the caller's transaction, so a registry change and its obligations
are saved together or not at all. With no published campaign it costs one query.

Every registry save or import, and every save or delete of a task or an action, also gives the
campaigns concerned a new figures token (services/figures.py): their cached progress figures and
firm panels are computed again on the next request.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from estates.models import Agency, Estate, PropertyFirm
from estates.signals import registry_imported

from . import services
from .models import Action, Campaign, Task


def _any_published():
    return Campaign.objects.filter(status=Campaign.Status.PUBLISHED).exists()


@receiver(post_save, sender=Task, dispatch_uid="campaigns_task_figures_saved")
@receiver(post_delete, sender=Task, dispatch_uid="campaigns_task_figures_deleted")
def task_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        services.figures_changed_for_action(instance.action_id)


@receiver(post_save, sender=Action, dispatch_uid="campaigns_action_figures_saved")
@receiver(post_delete, sender=Action, dispatch_uid="campaigns_action_figures_deleted")
def action_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        services.figures_changed(campaigns=[instance.campaign_id])


@receiver(post_save, sender=Estate, dispatch_uid="campaigns_estate_saved")
def estate_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        services.figures_changed_everywhere()
    if raw or not _any_published():
        return
    if not created:
        services.obligations_follow_estate(estate=instance)
    services.obligations_sync(estate=instance)


@receiver(post_save, sender=PropertyFirm, dispatch_uid="campaigns_firm_saved")
def firm_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        services.figures_changed_everywhere()
    if raw or not _any_published():
        return
    if not created:
        services.obligations_follow_firm(firm=instance)
    services.obligations_sync(firm=instance)


@receiver(post_save, sender=Agency, dispatch_uid="campaigns_agency_saved")
def agency_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        services.figures_changed_everywhere()
    if raw or instance.level not in (Agency.Level.DISTRICT, Agency.Level.STREET) or not _any_published():
        return
    # Agency.save() writes the materialised path after post_save has fired; sync once it is there.
    transaction.on_commit(lambda: services.obligations_sync(agency=Agency.objects.get(pk=instance.pk)))


@receiver(registry_imported, dispatch_uid="campaigns_registry_imported")
def registry_import_saved(sender, moved=(), **kwargs):
    """After an import of firms or estates: move the obligations of the rows whose district/street
    changed, then create the obligations that now apply — what the receivers above do per save."""
    services.figures_changed_everywhere()
    if not _any_published():
        return
    follow = {Estate: ("obligations_follow_estate", "estate"), PropertyFirm: ("obligations_follow_firm", "firm")}
    if sender in follow:
        name, keyword = follow[sender]
        for instance in moved:
            getattr(services, name)(**{keyword: instance})
    services.obligations_sync()
