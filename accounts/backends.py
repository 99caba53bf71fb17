"""The portal's authentication backend: Django's ModelBackend, loading the user's organisation with the user.

Every portal and admin request reads ``request.user.firm`` or ``request.user.agency`` (scoping, navigation,
the page itself). ModelBackend.get_user loads the user alone, so each of those was a query of its own on
every request; here they come in the same SELECT (one query instead of three).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("firm", "agency").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
