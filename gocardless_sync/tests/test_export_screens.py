"""The balance export's screens as a user sees them, in headless Chromium."""

from odoo.tests import HttpCase, tagged

from .common import GoCardlessEmulatorMixin
from .payment_common import PaymentDataMixin


@tagged("post_install", "-at_install")
class TestExportLinesTour(PaymentDataMixin, GoCardlessEmulatorMixin, HttpCase):
    """At 1440 px the lines of a recorded and collected batch show their references,
    GoCardless IDs, Odoo payments and statuses whole (other columns may shrink)."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        cls._setup_payments()

    def test_references_and_ids_are_not_cut(self):
        partners = self.env["res.partner"]
        for n, name in enumerate(
            ["Harbour View Cafe and Restaurant Ltd", "Ann", "Boulangerie Dupont SARL (Marseille)"]
        ):
            partner = self._partner(name, email=f"screen{n}@example.com")
            self._invoice(partner, 4999.99 if n == 2 else 10.5 + n, self.gbp)
            self._mandate(partner)
            partners |= partner
        batch = self._export(partners)
        batch.with_user(self.gc_accountant).action_record_payments()
        batch.with_user(self.gc_accountant).action_collect()
        self.assertEqual(len(batch.line_ids.gocardless_payment_ids), 3)
        self.assertEqual(len(batch.line_ids.payment_id), 3)
        self.start_tour(
            f"/odoo/action-gocardless_sync.gocardless_export_action/{batch.id}",
            "gocardless_sync_export_lines_uncut",
            login="gc_accountant",
        )
