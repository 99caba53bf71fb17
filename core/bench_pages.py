"""core's part of `manage.py bench_pages` (core/benchpages/registry.py): the bureau's landing page (the admin
index of core/admin_site.py) and the job pages, which are not benchmarked."""

from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page

register_page("dashboard.bureau_landing", role="city", kind="dashboard", pattern="admin:index",
              url=lambda ctx: reverse("admin:index"))
register_page("dashboard.bureau_landing.district", role="district", kind="dashboard", pattern="admin:index",
              url=lambda ctx: reverse("admin:index"))
register_page("dashboard.bureau_landing.street", role="street", kind="dashboard", pattern="admin:index",
              url=lambda ctx: reverse("admin:index"))
register_page("dashboard.bureau_landing.superuser", role="superuser", kind="dashboard", pattern="admin:index",
              url=lambda ctx: reverse("admin:index"))
register_exemption("home", "a redirect to the login page, the admin or the firm's dashboard")
register_exemption("jobs:detail", "the page of one long job (an export, a batch of letters); the seed starts none")
register_exemption("jobs:status", "the JSON a job's page polls while the job runs")
register_exemption("jobs:download", "a job's file download")
