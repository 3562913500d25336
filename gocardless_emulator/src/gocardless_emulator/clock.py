"""The emulator's one clock: ``time.time``, so freezegun moves every thread alike."""

from __future__ import annotations

import datetime as _dt
import time


def now() -> _dt.datetime:
    return _dt.datetime.fromtimestamp(time.time(), _dt.timezone.utc)


def today() -> _dt.date:
    return now().date()
