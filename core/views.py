from django.conf import settings
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import cache_control, never_cache

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


def home(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_superuser or user.agency_id:
        return redirect("admin:index")
    return redirect("portal:dashboard")


@never_cache
def healthz(request):
    """Liveness and readiness for load balancers: the database, and Redis when configured."""
    checks = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # report, do not crash the probe
        checks["database"] = f"error: {exc.__class__.__name__}"
        ok = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
            ok = False
    else:
        checks["redis"] = "not configured"
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links (and static files live
    under STATIC_URL, with hashed names in production): the same icon from the source folder."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
