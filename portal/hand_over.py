"""Work handed from a request to threads of the portal process, so the request never waits.

Threads start when work arrives and end when none is waiting, so an idle portal holds
none. Work still waiting when the process stops is lost with it; everything handed over
here is either also found by the flows' schedules in the store, or (a sign-in email) is
asked for again by the person.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("portal.hand_over")


class HandOver(Generic[T]):
    """Runs ``work`` on each item handed over, oldest first, on at most ``threads`` threads."""

    def __init__(self, work: Callable[[T], object], *, threads: int, name: str) -> None:
        self.work = work
        self.threads = threads
        self.name = name
        self._lock = threading.Lock()
        self._waiting: deque[T] = deque()
        self._working = 0

    def send(self, item: T) -> None:
        """Hand the item on and return at once."""
        with self._lock:
            self._waiting.append(item)
            if self._working >= self.threads:
                return
            self._working += 1
        threading.Thread(target=self._work_waiting, name=self.name, daemon=True).start()

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing in hand."""
        with self._lock:
            return not self._waiting and not self._working

    def _work_waiting(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._working -= 1
                    return
                item = self._waiting.popleft()
            try:
                self.work(item)
            except Exception:  # noqa: BLE001 - a thread must outlive one bad item
                log.exception("%s: work handed over failed; the schedules will retry it",
                              self.name)
