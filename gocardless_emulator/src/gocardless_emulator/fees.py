"""What GoCardless deducts when it pays a payment out: its transaction fee, VAT on that fee.

All amounts are integers in minor units; percentages and rates are ``Decimal`` and the
results are rounded half up to the minor unit (never float arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# GoCardless's standard transaction fees (support article "Transactions and fees"): 1% of
# the payment with a minimum and a cap per currency, in minor units. USD is not in that
# article: the GBP figures are used.
STANDARD_MINIMUM = {
    "AUD": 35,
    "CAD": 40,
    "DKK": 700,
    "EUR": 20,
    "GBP": 20,
    "NZD": 40,
    "SEK": 200,
    "USD": 20,
}
STANDARD_CAP = {
    "AUD": 350,
    "CAD": 400,
    "DKK": 2200,
    "EUR": 200,
    "GBP": 200,
    "NZD": 440,
    "SEK": 2000,
    "USD": 200,
}


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class FeeSchedule:
    """The fee on one paid-out payment: ``percent`` of its amount plus ``fixed``, then held
    between the currency's ``minimum`` and ``cap`` (``None`` in those dicts: no bound);
    ``vat_rate`` (e.g. ``Decimal("0.20")``) adds VAT on the fee, listed in the fee item's
    ``taxes`` under ``tax_rate_id``. The default is GoCardless's standard pricing, no VAT.

    ``FeeSchedule(percent=0, fixed=20, minimum={}, cap={})`` is a flat 0.20 a payment.
    """

    percent: Decimal = Decimal("1")
    fixed: int = 0
    minimum: dict = field(default_factory=lambda: dict(STANDARD_MINIMUM))
    cap: dict = field(default_factory=lambda: dict(STANDARD_CAP))
    vat_rate: Decimal | None = None
    tax_rate_id: str = "GB_VAT_1"

    def fee(self, amount: int, currency: str) -> int:
        value = _round(Decimal(int(amount)) * Decimal(str(self.percent)) / 100) + int(self.fixed)
        low = self.minimum.get(currency)
        high = self.cap.get(currency)
        if low is not None:
            value = max(value, int(low))
        if high is not None:
            value = min(value, int(high))
        return max(value, 0)

    def vat(self, fee: int) -> int:
        if not self.vat_rate:
            return 0
        return _round(Decimal(int(fee)) * Decimal(str(self.vat_rate)))
