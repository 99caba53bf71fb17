"""Change-history records (django-simple-history) name themselves in local time.

simple-history's historical models are created with ``__str__`` = "<object> as of <history_date>",
the aware datetime printed as is: UTC with "+00:00", beside the history page's own columns that
Django shows in Asia/Shanghai. Every time shown to a user is local time, so the name of each
historical model is replaced once the models are loaded (CoreConfig.ready).
"""

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _


def _local(value):
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _historical_str(self):
    return _("%(object)s（%(time)s 的版本）") % {"object": self.history_object, "time": _local(self.history_date)}


def use_local_time_in_history_names():
    for model in apps.get_models():
        if hasattr(model, "history_object") and hasattr(model, "instance_type"):
            model.__str__ = _historical_str
