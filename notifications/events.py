"""A small event bus: apps emit what happened, the apps that care turn it into messages.

The app where something happens calls ``emit("campaigns.obligation_returned", ...)`` inside the
transaction of the change; every handler subscribed with :func:`on` runs then and there, so the
outbox rows it queues (notifications/outbox.py ``enqueue``) commit or roll back with the change,
and the sending is queued after commit. notifications/ subscribes to nothing and knows no app:
the campaigns subscribe to their own events (campaigns/messaging.py), and a later app may
subscribe to them too without touching campaigns/::

    from notifications.events import on

    @on("campaigns.obligation_accepted")
    def award_points(*, obligation_ids, at, **payload):
        ...

Handlers take keyword arguments and ignore those they do not use (``**payload``). An event
nobody subscribed to is a no-op. A handler's exception propagates: the change is rolled back
rather than committed without the message it owes.
"""

from collections import defaultdict

_handlers = defaultdict(dict)


def on(event, handler=None):
    """Subscribe ``handler(**payload)`` to ``event`` (usable as a decorator). Subscribing the same
    function again replaces it, so a module imported twice does not run twice."""

    def subscribe(func):
        _handlers[event][f"{func.__module__}.{func.__qualname__}"] = func
        return func

    return subscribe(handler) if handler is not None else subscribe


def off(event, handler):
    _handlers[event].pop(f"{handler.__module__}.{handler.__qualname__}", None)


def emit(event, **payload):
    """Run every handler of ``event`` now, in the caller's transaction."""
    for handler in list(_handlers.get(event, {}).values()):
        handler(**payload)


def subscribers(event):
    return list(_handlers.get(event, {}).values())
