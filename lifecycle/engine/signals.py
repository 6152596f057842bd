"""Worker start-up: every worker sweeps for orphaned actions at start and then periodically."""

from celery.signals import worker_ready, worker_shutdown

from lifecycle.engine.runner import SweepThread

_sweep: SweepThread | None = None


@worker_ready.connect
def sweep_start(**kwargs):
    global _sweep
    _sweep = SweepThread()
    _sweep.start()


@worker_shutdown.connect
def sweep_stop(**kwargs):
    if _sweep is not None:
        _sweep.stopped.set()
