from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from core import views as core_views

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER
admin.site.index_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("accounts.urls")),
    path("portal/campaigns/", include("campaigns.urls")),
    path("portal/", include("estates.urls")),
    path("", include("suggestions.urls")),  # before e/<code>/: its public pages live under e/ too
    path("e/", include("estates.public_urls")),  # public estate pages, the target of printed QR codes
    path("jobs/", include("core.urls")),
    path("documents/", include("documents.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
]

# No URL serves MEDIA_ROOT, in any mode: uploads (evidence, record photos) and generated files (jobs) are
# only ever sent by the views that check who may see them (campaigns.views, core.job_views, documents.views).
