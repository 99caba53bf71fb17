"""The portal's authentication backend: Django's ModelBackend, loading the user's organisation with the user.

Every portal and admin request reads ``request.user.firm`` or ``request.user.agency`` (scoping, navigation,
the page itself). ModelBackend.get_user loads the user alone, so each of those was a query of its own on
every request; here they come in the same SELECT, with the firm's supervising district, which decides what
a firm user sees of the campaigns (one query instead of four).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("firm", "firm__district", "agency").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
