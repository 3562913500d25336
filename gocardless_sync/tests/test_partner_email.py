import importlib.util

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import file_path


@tagged("post_install", "-at_install")
class TestPartnerExtraEmails(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Grace Hopper", "email": "Grace@Example.com"}
        )

    def test_extra_emails_are_normalised(self):
        self.partner.write(
            {
                "extra_email_ids": [
                    (0, 0, {"email": "  Billing@Example.COM ", "label": "Billing"}),
                    (0, 0, {"email": '"Grace H." <grace.h@navy.example>'}),
                ]
            }
        )
        self.assertEqual(
            self.partner.extra_email_ids.mapped("email_normalized"),
            ["billing@example.com", "grace.h@navy.example"],
        )
        self.assertEqual(self.partner.extra_email_ids[0].label, "Billing")
        self.assertEqual(
            self.partner._gocardless_all_emails(),
            {"grace@example.com", "billing@example.com", "grace.h@navy.example"},
        )

    def test_normalised_like_odoo(self):
        """Non-ASCII addresses are kept (Odoo's rule: the local part's case too)."""
        self.partner.write(
            {
                "extra_email_ids": [
                    (0, 0, {"email": " Jörg@BÜCHER.example "}),
                    (0, 0, {"email": "Jörg Müller <Jörg.M@Example.com>"}),
                    (0, 0, {"email": "ADA@Example.com"}),
                ]
            }
        )
        self.assertEqual(
            self.partner.extra_email_ids.mapped("email_normalized"),
            ["Jörg@bücher.example", "Jörg.M@example.com", "ada@example.com"],
        )

    def test_migration_normalises_stored_addresses_again(self):
        extra = self.env["res.partner.email"].create(
            {"partner_id": self.partner.id, "email": "Jörg@Example.com"}
        )
        # as an earlier rule stored it: everything lower-cased
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner_email SET email_normalized = lower(email) WHERE id = %s",
            [extra.id],
        )
        self.env.invalidate_all()
        self.assertEqual(extra.email_normalized, "jörg@example.com")
        path = file_path("gocardless_sync/migrations/18.0.1.0.1/post-migrate.py")
        spec = importlib.util.spec_from_file_location("gocardless_sync_post_migrate", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(extra.email_normalized, "Jörg@example.com")

    def test_invalid_address_is_refused(self):
        for bad in ("not an email", "two@example.com, three@example.com", "@example.com", "a@b"):
            with self.subTest(bad=bad), self.assertRaises(ValidationError) as caught:
                self.env["res.partner.email"].create({"partner_id": self.partner.id, "email": bad})
            self.assertIn("is not a valid email address", str(caught.exception))
        self.assertFalse(self.partner.extra_email_ids)

    def test_duplicate_on_the_same_partner_is_refused(self):
        self.env["res.partner.email"].create(
            {"partner_id": self.partner.id, "email": "ap@example.com"}
        )
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner.email"].create(
                {"partner_id": self.partner.id, "email": " AP@example.com"}
            )
        self.assertIn("already has the extra email", str(caught.exception))

    def test_duplicate_of_the_main_email_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner.email"].create(
                {"partner_id": self.partner.id, "email": "grace@EXAMPLE.com"}
            )
        self.assertIn("already the main email", str(caught.exception))

    def test_database_refuses_duplicates_too(self):
        self.env["res.partner.email"].create(
            {"partner_id": self.partner.id, "email": "dup@example.com"}
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "INSERT INTO res_partner_email (partner_id, email, email_normalized, sequence)"
                    " VALUES (%s, 'DUP@example.com', 'dup@example.com', 10)",
                    [self.partner.id],
                )

    def test_same_email_on_two_partners_is_allowed(self):
        other = self.env["res.partner"].create({"name": "Other"})
        for partner in (self.partner, other):
            self.env["res.partner.email"].create(
                {"partner_id": partner.id, "email": "shared@example.com"}
            )
        self.assertEqual(
            self.env["res.partner.email"].search_count(
                [("email_normalized", "=", "shared@example.com")]
            ),
            2,
        )

    def test_partner_search_finds_extra_emails(self):
        self.env["res.partner.email"].create(
            {"partner_id": self.partner.id, "email": "findme@example.org"}
        )
        found = self.env["res.partner"].search([("extra_email_ids.email", "ilike", "findme@")])
        self.assertEqual(found, self.partner)

    def test_deleting_the_partner_deletes_its_extra_emails(self):
        partner = self.env["res.partner"].create(
            {"name": "Temp", "extra_email_ids": [(0, 0, {"email": "temp@example.com"})]}
        )
        extra = partner.extra_email_ids
        partner.unlink()
        self.assertFalse(extra.exists())
