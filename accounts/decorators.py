from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


def firm_user_required(view):
    """Portal pages are for firm users; bureau staff are sent to the admin."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.firm_id:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper
