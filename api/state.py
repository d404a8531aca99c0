"""The app's swappable answer service, its readiness, the reindex job and the version watcher.

The service is loaded in a background thread so ``/healthz`` answers at once; a reindex builds
a new index version and a new service while requests keep using the old one, then swaps it in
with one assignment under a lock. A reindex rebuilds the knowledge base (``qa.index.sources``:
what was last published, never silently another folder); a change to it made while one runs
queues one more run (``start_reindex(queue=True)``). A watcher thread notices a
version published by another process (``yibao ingest``) and swaps it in the same way. Reloads
reuse the live service's embedding model, so memory does not grow with reindexes.

Example:
    >>> state = ServiceState(settings, AnswerService.load)
    >>> state.start_loading()
    >>> state.service  # None until loaded
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.pipeline import run_ingest
from qa.index.lock import IndexBusyError, writer_lock
from qa.index.sources import KnowledgeBase
from qa.index.versions import remove_leftovers
from qa.settings import Settings
from qa.stores.factory import served_version

logger = logging.getLogger(__name__)

Loader = Callable[[Settings], Any]
Ingest = Callable[..., Any]  # run_ingest(settings, paths=…, rebuild=…)
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
    sources: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """JSON shape returned by ``GET /api/admin/reindex``."""
        return {
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "seconds": self.seconds,
            "report": dict(self.report),
            "error": self.error,
            "sources": list(self.sources),
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
        self.version = _version_of(service)  # of the live service; "" when unknown
        self._skip_version = ""  # a version that failed to load: not retried until it changes
        self._again = False  # a change arrived while a reindex ran: run once more after it
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def service(self) -> Any:
        """The live service, or ``None`` while loading (or after a failed load)."""
        return self._service

    @property
    def ready(self) -> bool:
        """True once a service is loaded and answering."""
        return self._service is not None

    def live_embedder(self) -> Any:
        """The live service's embedding model (reused by reloads), or ``None``."""
        return getattr(getattr(self._service, "retriever", None), "embedder", None)

    def swap(self, service: Any) -> None:
        """Make ``service`` live; requests already running keep the one they hold."""
        with self._lock:
            old, self._service = self._service, service
            self.version = _version_of(service) or served_version(self.settings)
            self.load_status = "ready"
            self.load_error = ""
        if old is not None and old is not service:
            del old
            release_memory()

    def start_loading(self) -> threading.Thread | None:
        """Load the service in a daemon thread, unless one is already live."""
        if self._service is not None:
            return None
        thread = threading.Thread(target=self._load, name="yibao-load", daemon=True)
        thread.start()
        return thread

    def _load(self) -> None:
        started = time.perf_counter()
        _remove_leftovers_if_idle(self.settings)
        pointed = served_version(self.settings)
        try:
            service = self.loader(self.settings)
        except Exception as exc:  # shown by /readyz; the watcher or a reindex recovers
            logger.error("service load failed: %s", exc)
            logger.debug("service load failure", exc_info=True)
            with self._lock:
                self.load_status = "failed"
                self.load_error = str(exc)
                self._skip_version = pointed
            return
        self.swap(service)
        logger.info(
            "service ready version=%s seconds=%.2f", self.version, time.perf_counter() - started
        )

    def start_watching(self) -> threading.Thread | None:
        """Poll the served version every ``index_watch_seconds``; swap in a new one (0 = off)."""
        interval = self.settings.index_watch_seconds
        if interval <= 0 or self._watcher is not None:
            return None
        self._stop.clear()
        self._watcher = threading.Thread(
            target=self._watch, args=(interval,), name="yibao-watch", daemon=True
        )
        self._watcher.start()
        return self._watcher

    def stop_watching(self) -> None:
        """Stop the watcher thread (at shutdown)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.pick_up_new_version()
            except Exception:  # the watcher must outlive any one failure
                logger.exception("index watcher failed")

    def pick_up_new_version(self) -> bool:
        """Load and swap in the version the store serves (``CURRENT``, or the Milvus alias),
        if it is new; True when swapped.

        Skipped while the first load or a reindex runs (they swap in their own result). A
        version that fails to load is logged once and not retried until the served one changes.
        """
        pointed = served_version(self.settings)
        busy = self.load_status == "loading" or self.reindex.status == "running"
        if not pointed or busy or pointed in (self.version, self._skip_version):
            return False
        started = time.perf_counter()
        try:
            service = self.loader(self.settings)
        except Exception as exc:  # the live service stays
            logger.error("new index version=%s could not be loaded: %s", pointed, exc)
            self._skip_version = pointed
            return False
        self.swap(service)
        logger.info(
            "swapped in index version=%s seconds=%.2f", self.version, time.perf_counter() - started
        )
        return True

    @property
    def reindex_queued(self) -> bool:
        """True when another reindex will run after the one running now."""
        return self._again

    def start_reindex(self, rebuild: bool = False, queue: bool = False) -> ReindexStatus:
        """Start ingest + reload in a daemon thread; ``ReindexBusyError`` if one runs.

        ``rebuild``: re-embed everything instead of reusing the vectors of unchanged chunks.
        ``queue``: if one runs, run (incrementally) once more when it ends instead of raising:
        the running one may have read the knowledge base before the change that asks.
        """
        with self._lock:
            if self.reindex.status == "running":
                if not queue:
                    raise ReindexBusyError("reindex already running")
                self._again = True
                return self.reindex
            self.reindex = status = ReindexStatus(status="running", started=_now())
        self._spawn(status, rebuild)
        return status

    def _spawn(self, status: ReindexStatus, rebuild: bool) -> None:
        worker = threading.Thread(
            target=self._reindex, args=(status, rebuild), name="yibao-reindex", daemon=True
        )
        worker.start()

    def _reindex(self, status: ReindexStatus, rebuild: bool) -> None:
        started = time.perf_counter()
        outcome: JobStatus = "done"
        try:
            status.sources = [str(p) for p in KnowledgeBase.load(self.settings).sources]
            # The ingestion loads its own model copy (batch threads), freed when it returns;
            # reusing the live one instead keeps its large batch buffers for good (+400 MB).
            report = self.ingest(self.settings, rebuild=rebuild)
            status.report = {k: getattr(report, k) for k in _REPORT_FIELDS if hasattr(report, k)}
            self.swap(self.loader(self.settings))
        except Exception as exc:  # the old service stays live
            logger.error("reindex failed: %s", exc)
            logger.debug("reindex failure", exc_info=True)
            status.error = str(exc)
            outcome = "failed"
        status.seconds = round(time.perf_counter() - started, 3)
        status.finished = _now()
        logger.info("reindex status=%s seconds=%.2f", outcome, status.seconds)
        with self._lock:
            again, self._again = self._again, False
            status.status = outcome  # last, so a poller seeing "done" also sees the numbers
            if again:  # a poller sees "running" again, never an idle gap before it
                self.reindex = status = ReindexStatus(status="running", started=_now())
        if again:
            logger.info("reindex queued by a change during the last one: running again")
            self._spawn(status, False)


def _version_of(service: Any) -> str:
    return str(getattr(service, "index_version", "") or "")


def _remove_leftovers_if_idle(settings: Settings) -> None:
    """Remove what killed ingestions left behind, unless an ingestion is running now."""
    try:
        with writer_lock(settings.index_dir, timeout=0):
            remove_leftovers(settings.index_dir)
    except (IndexBusyError, OSError) as exc:
        logger.debug("leftovers not removed: %s", exc)


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc ``malloc_trim``).

    Without it, each reload's freed index and buffers stay in the process's arenas, and a
    server's resident memory ratchets up with every reindex.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
