"""Faults injected on the next matching HTTP requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass

FAULT_KINDS = (
    "rate_limit",
    "html_429",
    "html_502",
    "server_error",
    "timeout",
    "drop",
    "unauthorized",
    "not_found",
)
# These are answered before the request reaches the API (nothing is created or changed).
REJECTING_KINDS = (
    "rate_limit",
    "html_429",
    "html_502",
    "server_error",
    "unauthorized",
    "not_found",
)
# These let the request be processed, then withhold the response.
WITHHOLDING_KINDS = ("timeout", "drop")
DEFAULT_TIMEOUT_DELAY = 5.0


@dataclass
class Fault:
    kind: str
    times: int = 1
    skip: int = 0
    method: str | None = None
    path: str | None = None
    delay: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not path.startswith(self.path))


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind, times=1, skip=0, method=None, path=None, delay=None) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if int(times) < 1 or int(skip) < 0:
            raise ValueError("times must be >= 1 and skip >= 0")
        if kind == "timeout" and delay is None:
            delay = DEFAULT_TIMEOUT_DELAY
        fault = Fault(kind, int(times), int(skip), method, path, delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (first matching fault, in order)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None
