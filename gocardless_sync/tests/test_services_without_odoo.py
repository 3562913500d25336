"""The services layer is plain Python: it imports and works in a process where Odoo cannot be
imported at all, so its rules can be unit-tested (and reused) without a database."""

import json
import os
import subprocess
import sys

from odoo.tests import BaseCase, tagged

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run in a fresh interpreter: ``odoo`` is made unimportable before anything else, the services
# package is imported as a top-level package from the addon's folder (so that no
# ``gocardless_sync/__init__.py``, which loads the Odoo models, runs), and every module of it
# is imported and exercised a little.
PROBE = r"""
import importlib, json, pkgutil, sys

class NoOdoo:
    def find_spec(self, name, path=None, target=None):
        if name == "odoo" or name.startswith("odoo."):
            raise ImportError(f"{name} is blocked in this process")
        return None

sys.meta_path.insert(0, NoOdoo())
sys.path.insert(0, sys.argv[1])
import services

modules = sorted(
    info.name for info in pkgutil.iter_modules(services.__path__) if not info.ispkg
)
for name in modules:
    importlib.import_module(f"services.{name}")
from decimal import Decimal
from services import const, export_plan, matching, status_rules
decision = matching.plan_customer_sync(
    [{"id": "CU1", "email": " Ada@Example.com "}], {"ada@example.com": {7}}, {}, "skip"
)[0]
export = export_plan.plan_export(
    [7], {(7, 1): Decimal("25.505")}, {1: "GBP"}, 1,
    {7: [export_plan.Mandate(3, "MD3", "active", True, "bacs", 7)]},
)
status = status_rules.decide(status_rules.PAYMENT, "failed", "pending_submission",
                             action="resubmission_requested")
try:
    import odoo  # noqa: F401
    odoo_blocked = False
except ImportError:
    odoo_blocked = True
print(json.dumps({
    "modules": modules,
    "odoo_loaded": any(m == "odoo" or m.startswith("odoo.") for m in sys.modules),
    "odoo_blocked": odoo_blocked,
    "outcome": decision.outcome,
    "partner": decision.partner_id,
    "gbp_unit": const.SCHEME_CURRENCY["bacs"],
    "export_amount": str(export.lines[0].amount),
    "status": [status.outcome, status.status],
}))
"""


@tagged("post_install", "-at_install")
class TestServicesWithoutOdoo(BaseCase):
    def test_services_import_and_run_where_odoo_cannot_be_imported(self):
        result = subprocess.run(
            [sys.executable, "-c", PROBE, ADDON_DIR],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertTrue(report["odoo_blocked"], "the probe must really block Odoo")
        self.assertFalse(report["odoo_loaded"])
        # every module of the package was imported, the pure rules among them
        for name in (
            "api",
            "const",
            "customer_payload",
            "export_files",
            "export_plan",
            "matching",
            "status_rules",
        ):
            self.assertIn(name, report["modules"])
        self.assertEqual((report["outcome"], report["partner"]), ("link", 7))
        self.assertEqual(report["gbp_unit"], "GBP")
        self.assertEqual(report["export_amount"], "25.50")
        self.assertEqual(report["status"], ["revived", "pending_submission"])
