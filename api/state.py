"""The app's swappable answer service, its readiness, and the background reindex job.

The service is loaded in a background thread so ``/healthz`` answers at once; a reindex builds
a new index version and a new service while requests keep using the old one, then swaps it in
with one assignment under a lock.

Example:
    >>> state = ServiceState(settings, AnswerService.load)
    >>> state.start_loading()
    >>> state.service  # None until loaded
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.pipeline import run_ingest
from qa.settings import Settings

logger = logging.getLogger(__name__)

Loader = Callable[[Settings], Any]
Ingest = Callable[[Settings], Any]
LoadStatus = Literal["loading", "ready", "failed"]
JobStatus = Literal["idle", "running", "done", "failed"]

_REPORT_FIELDS = ("files", "documents", "chunks", "duplicates", "embedded", "reused", "up_to_date")


class ReindexBusyError(RuntimeError):
    """A reindex is already running."""


@dataclass
class ReindexStatus:
    """What the last reindex did (``report`` holds the ingest numbers)."""

    status: JobStatus = "idle"
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    report: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def public(self) -> dict[str, Any]:
        """JSON shape returned by ``GET /api/admin/reindex``."""
        return {
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "seconds": self.seconds,
            "report": dict(self.report),
            "error": self.error,
        }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class ServiceState:
    """Holds the live service (``None`` until loaded) and runs loads and reindexes."""

    def __init__(
        self,
        settings: Settings,
        loader: Loader,
        service: Any = None,
        ingest: Ingest = run_ingest,
    ) -> None:
        self.settings = settings
        self.loader = loader
        self.ingest = ingest
        self._service = service
        self._lock = threading.Lock()
        self.load_status: LoadStatus = "ready" if service is not None else "loading"
        self.load_error = ""
        self.reindex = ReindexStatus()

    @property
    def service(self) -> Any:
        """The live service, or ``None`` while loading (or after a failed load)."""
        return self._service

    @property
    def ready(self) -> bool:
        """True once a service is loaded and answering."""
        return self._service is not None

    def swap(self, service: Any) -> None:
        """Make ``service`` live; requests already running keep the one they hold."""
        with self._lock:
            self._service = service
            self.load_status = "ready"
            self.load_error = ""

    def start_loading(self) -> threading.Thread | None:
        """Load the service in a daemon thread, unless one is already live."""
        if self._service is not None:
            return None
        thread = threading.Thread(target=self._load, name="yibao-load", daemon=True)
        thread.start()
        return thread

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            service = self.loader(self.settings)
        except Exception as exc:  # shown by /readyz; the admin can reindex to recover
            logger.exception("service load failed")
            with self._lock:
                self.load_status = "failed"
                self.load_error = str(exc)
            return
        self.swap(service)
        logger.info("service ready seconds=%.2f", time.perf_counter() - started)

    def start_reindex(self) -> ReindexStatus:
        """Start ingest + reload in a daemon thread; ``ReindexBusyError`` if one runs."""
        with self._lock:
            if self.reindex.status == "running":
                raise ReindexBusyError("reindex already running")
            self.reindex = ReindexStatus(status="running", started=_now())
            status = self.reindex
        worker = threading.Thread(
            target=self._reindex, args=(status,), name="yibao-reindex", daemon=True
        )
        worker.start()
        return status

    def _reindex(self, status: ReindexStatus) -> None:
        started = time.perf_counter()
        outcome: JobStatus = "done"
        try:
            report = self.ingest(self.settings)
            status.report = {k: getattr(report, k) for k in _REPORT_FIELDS if hasattr(report, k)}
            self.swap(self.loader(self.settings))
        except Exception as exc:  # the old service stays live
            logger.exception("reindex failed")
            status.error = str(exc)
            outcome = "failed"
        status.seconds = round(time.perf_counter() - started, 3)
        status.finished = _now()
        status.status = outcome  # last, so a poller seeing "done" also sees the numbers
        logger.info("reindex status=%s seconds=%.2f", outcome, status.seconds)
