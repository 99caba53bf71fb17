"""Run a CPU-bound call with a hard time limit, in any server mode.

``call_with_time_limit(func, *args, seconds=10, **kwargs)`` runs ``func`` in a forked child
process and returns its (picklable) result, re-raises its exception, or raises
:class:`TimeLimitExceeded` after ``seconds`` and kills the child.

Why a child process: the work this guards (laying out a PDF with WeasyPrint) cannot be
interrupted from inside. ``signal.alarm`` only works in the main thread (a gunicorn sync
worker, but not a runserver or embedded-server request thread), and a thread cannot be
stopped at all; a process can be killed at the deadline, and its memory goes with it.

Why fork (Linux, where the portal runs): the child starts at once with Django and WeasyPrint
already imported (spawn would import them again, one to two seconds a call). The child
must not use what it shares with the parent, so ``func`` gets plain data, never touches
the database (the inherited connection's socket belongs to the parent: callers read the
database before the call), and the child leaves with ``os._exit`` (multiprocessing's fork
start does), so no inherited connection is closed or flushed. Forking from a threaded
server copies only the calling thread; a lock another thread held at that moment would
stay held in the child, and then the deadline kills it like any other overrun.
"""

import multiprocessing


class TimeLimitExceeded(Exception):
    pass


def _child(conn, func, args, kwargs):
    try:
        result = (True, func(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        result = (False, exc)
    try:
        conn.send(result)
    except Exception as exc:  # an unpicklable exception: send its text
        conn.send((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]}")))
        del exc
    conn.close()


def call_with_time_limit(func, *args, seconds, **kwargs):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TimeLimitExceeded(seconds)
        try:
            ok, payload = receiver.recv()
        except EOFError:  # the child died without answering (killed, out of memory)
            raise RuntimeError(f"time-limited call ended with exit code {process.exitcode}") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if not ok:
        raise payload
    return payload
