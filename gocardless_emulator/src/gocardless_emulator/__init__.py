"""gocardless_emulator: a standalone local fake of the GoCardless Pro REST API."""

from __future__ import annotations

from pathlib import Path

from . import demo as demo  # the module with demo_customers()
from .emulator import Emulator
from .fees import FeeSchedule
from .state import EmulatorState
from .webhooks import sign_webhook

__all__ = ["Emulator", "EmulatorState", "FeeSchedule", "fixtures_path", "sign_webhook"]
__version__ = "0.1.0"


def fixtures_path() -> Path:
    """Directory holding GoCardless's example payloads (package data, see SOURCE.txt)."""
    return Path(__file__).resolve().parent / "fixtures"
