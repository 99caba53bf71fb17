"""Cached reads of the suggestion box forgotten when an entry changes (core/cache.py).

On the model's own signals, so every write forgets them — services, the admin's moderation, the hotline API,
the sweeps and the retention job alike — after its transaction commits."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign
from core import cache
from core.models import CalendarDay
from estates.models import Agency, Estate

from . import deadlines
from .models import DeadlinePolicy, ReplyTemplate, Suggestion
from .selectors.inbox import (
    AUTHORS_VERSION_KEY,
    LIST_VERSION_KEY,
    templates_version_key,
    version_key,
    waiting_key,
)


@receiver([post_save, post_delete], sender=Suggestion, dispatch_uid="suggestions-forget-waiting")
def forget_waiting(sender, instance, created=False, **kwargs):
    """The badge and the inbox's list of the entry's firm, and the bureau's list of every entry (new versions: the
    kept lists are not read again); one round trip to the cache. A new entry forgets them once its transaction
    commits: until then nobody else can see it, and nothing in the transaction that files it reads those lists
    (the submission's round trip saved on the busiest write); a change forgets them now too, for the
    transaction's own later reads."""
    keys = (*((waiting_key(instance.firm_id, timezone.localdate()), version_key(instance.firm_id))
              if instance.firm_id else ()), LIST_VERSION_KEY)
    if created:
        cache.forget_on_commit(*keys)
    else:
        cache.forget_now_and_on_commit(*keys)


@receiver([post_save, post_delete], sender=Estate, dispatch_uid="suggestions-forget-estate-inbox")
def forget_estate_inbox(sender, instance, **kwargs):
    """The inbox's list shows the estate's name."""
    if instance.firm_id:
        cache.forget_now_and_on_commit(version_key(instance.firm_id))


@receiver([post_save, post_delete], sender=ReplyTemplate, dispatch_uid="suggestions-forget-reply-templates")
def forget_reply_templates(sender, instance, **kwargs):
    """The firm's kept reply templates (selectors/inbox.py ``reply_template_list``): a new version."""
    if instance.firm_id:
        cache.forget_now_and_on_commit(templates_version_key(instance.firm_id))


@receiver([post_save, post_delete], sender=User, dispatch_uid="suggestions-forget-history-authors")
def forget_history_authors(sender, instance, update_fields=None, **kwargs):
    """The entry pages' kept histories show their authors' names: any change of a user but a login renews them."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    cache.forget_now_and_on_commit(AUTHORS_VERSION_KEY)


@receiver([post_save, post_delete], sender=DeadlinePolicy, dispatch_uid="suggestions-deadlines-policy")
@receiver([post_save, post_delete], sender=Campaign, dispatch_uid="suggestions-deadlines-campaign")
@receiver([post_save, post_delete], sender=Agency, dispatch_uid="suggestions-deadlines-agency")
@receiver([post_save, post_delete], sender=CalendarDay, dispatch_uid="suggestions-deadlines-calendar")
def forget_deadlines(sender, **kwargs):
    """The deadlines kept per district and day (deadlines.py ``due_dates``): a policy, a campaign (its status,
    dates, issuing agency), an agency's path or a calendar day changed."""
    deadlines.forget()
