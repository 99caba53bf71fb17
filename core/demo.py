"""The steps of `manage.py setup_demo`, registered by the apps that own the data.

core knows no domain app (.importlinter): each app's ``demo.py`` registers its step at import, and
setup_demo imports every installed app's ``demo`` module (as the admin does with ``admin.py``), then runs
the steps by ``order``. A step is ``step(command, **options)``: it writes what it did to
``command.stdout``, does nothing the second time (``make run`` calls setup_demo on every start) and gets
setup_demo's options (``estates``, ``seed``).

Orders in use: 10 the registry (estates), 20 the demo campaign, 30 reminders, 90 the demo accounts and
their logins (last, so they are the last lines `make run` prints).
"""

from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: object


_steps = {}


def register_demo_step(order, step, *, name=None):
    """Register ``step`` to run at ``order``; registering the same name again replaces it (module reloads)."""
    name = name or f"{step.__module__}.{step.__qualname__}"
    _steps[name] = DemoStep(order=order, name=name, run=step)
    return step


def demo_steps():
    """Every registered step, in order (imports each app's ``demo`` module first)."""
    autodiscover_modules("demo")
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
