"""What `manage.py bench_pages` loads: pages, exemptions and seed steps, registered by the apps that own them.

core knows no domain app (.importlinter), so the benchmark knows no page of its own: each app's
``bench_pages.py`` (found by :func:`discover`, as the admin finds ``admin.py``) registers

* its pages — :func:`register_page`: a name, the role that opens it, a function building its address from the
  seeded :class:`Context`, the URL pattern it stands for (``"campaigns:obligations"``, what the coverage test of
  tests/test_bench_pages.py checks) and its kind, which chooses the floor it is measured against and its target
  (:data:`KINDS`);
* the patterns it does not benchmark, each with a reason — :func:`register_exemption` (POST-only actions,
  downloads measured by their own ``bench_*`` command, pages that need a token mailed to someone);
* its seed steps — :func:`register_seed_step`: ``step(ctx)`` adds rows to the throwaway database and what the
  pages need to the context (``ctx.city``, ``ctx.users["firm"]``, ``ctx.campaign`` …), in ``order``.

A later app (suggestions, volunteers…) adds a ``bench_pages.py`` of its own and its pages are in the next run;
a portal page without an entry or an exemption fails tests/test_bench_pages.py.
"""

from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

#: The roles the seed creates one user of each (``ctx.users[role]``); "anonymous" sends no session.
ROLES = ("superuser", "city", "district", "street", "firm", "anonymous")


@dataclass(frozen=True)
class Kind:
    floor: str  # "list" (bare ListView of 50 rows) or "changelist" (bare admin changelist of 100 rows)
    max_ratio: float  # p95 of the page ÷ p95 of its floor, at most
    label: str


#: Targets of issue 16: list pages p95 ≤ 2× the bare list view, admin changelists ≤ 1.3× the bare changelist,
#: dashboards ≤ 2× the bare changelist. Every page also answers no request over MAX_SECONDS, with no timeout
#: and no error.
KINDS = {
    "page": Kind("list", 2.0, "portal/public page: p95 ≤ 2× bare list view"),
    "changelist": Kind("changelist", 1.3, "admin list: p95 ≤ 1.3× bare changelist"),
    "dashboard": Kind("changelist", 2.0, "dashboard: p95 ≤ 2× bare changelist"),
}
MAX_SECONDS = 2.0


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    url: object  # url(ctx) -> "/path/?query"
    pattern: str  # the URL pattern it stands for: "namespace:name", "admin:<app>_<model>_changelist"…
    kind: str = "page"
    note: str = ""

    @property
    def target(self):
        return KINDS[self.kind]


@dataclass(frozen=True)
class SeedStep:
    order: int
    name: str
    run: object


@dataclass
class Context:
    """What the seed steps built, for the pages' ``url`` functions; steps add attributes as they need."""

    estates: int
    seed: int
    stdout: object = None
    users: dict = field(default_factory=dict)

    def say(self, text):
        if self.stdout is not None:
            self.stdout.write(text)


_pages = {}
_exemptions = {}
_steps = {}


def register_page(name, *, role, url, pattern, kind="page", note=""):
    if role not in ROLES:
        raise ValueError(f"bench page {name!r}: role {role!r} is not one of {ROLES}")
    if kind not in KINDS:
        raise ValueError(f"bench page {name!r}: kind {kind!r} is not one of {sorted(KINDS)}")
    _pages[name] = Page(name=name, role=role, url=url, pattern=pattern, kind=kind, note=note)


def register_exemption(pattern, reason):
    """``pattern`` ("namespace:name") is not benchmarked, because of ``reason`` (say which, and why)."""
    if not reason.strip():
        raise ValueError(f"the exemption of {pattern!r} needs a reason")
    _exemptions[pattern] = reason


def register_seed_step(order, step, *, name=None):
    name = name or f"{step.__module__}.{step.__qualname__}"
    _steps[name] = SeedStep(order=order, name=name, run=step)
    return step


def discover():
    autodiscover_modules("bench_pages")


def pages():
    discover()
    return dict(_pages)


def exemptions():
    discover()
    return dict(_exemptions)


def seed_steps():
    discover()
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
