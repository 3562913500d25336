import importlib.util

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
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


@tagged("post_install", "-at_install")
class TestExtraEmailsInTheChatter(TransactionCase):
    """Anyone who edits contacts may add an extra email, and the next sync links whichever
    GoCardless customer has it: every change is in the contact's chatter (who, when, what)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.editor = new_test_user(
            cls.env, "extra_email_editor", "base.group_user,base.group_partner_manager"
        )
        cls.partner = cls.env["res.partner"].create({"name": "Tracked", "email": "t@example.com"})

    def _notes(self):
        return self.partner.message_ids.filtered(lambda m: "Extra email" in (m.body or ""))

    def test_add_change_remove_are_noted_with_author(self):
        partner = self.partner.with_user(self.editor)
        partner.write(
            {
                "extra_email_ids": [
                    Command.create({"email": "billing@example.com", "label": "Billing"}),
                    Command.create({"email": "Payer <payer@example.com>"}),
                ]
            }
        )
        (added,) = self._notes()
        self.assertEqual(added.author_id, self.editor.partner_id)
        self.assertIn("Extra email added: billing@example.com (Billing)", added.body)
        self.assertIn("Extra email added: Payer &lt;payer@example.com&gt;", added.body)
        self.assertEqual(added.message_type, "notification")
        self.assertTrue(added.date)

        billing = self.partner.extra_email_ids.filtered(lambda e: e.label == "Billing")
        partner.write(
            {"extra_email_ids": [Command.update(billing.id, {"email": "ap@example.com"})]}
        )
        changed = self._notes()[0]
        self.assertIn("Extra email changed: billing@example.com → ap@example.com", changed.body)
        self.assertEqual(changed.author_id, self.editor.partner_id)

        partner.write({"extra_email_ids": [Command.delete(billing.id)]})
        removed = self._notes()[0]
        self.assertIn("Extra email removed: ap@example.com (Billing)", removed.body)
        self.assertEqual(len(self._notes()), 3)
        # a label alone is no change of address
        self.partner.extra_email_ids.label = "Payer"
        self.assertEqual(len(self._notes()), 3)

    def test_moved_to_another_contact_is_noted_on_both(self):
        other = self.env["res.partner"].create({"name": "Other"})
        extra = self.env["res.partner.email"].create(
            {"partner_id": self.partner.id, "email": "moved@example.com"}
        )
        extra.partner_id = other
        self.assertIn("Extra email removed: moved@example.com", self._notes()[0].body)
        self.assertIn("Extra email added: moved@example.com", other.message_ids[0].body)

    def test_an_editor_without_email_still_edits(self):
        editor = new_test_user(
            self.env,
            "extra_email_editor_no_mail",
            "base.group_user,base.group_partner_manager",
            email=False,
        )
        self.partner.with_user(editor).write(
            {"extra_email_ids": [Command.create({"email": "no-mail@example.com"})]}
        )
        self.assertEqual(self._notes().author_id, editor.partner_id)

    def test_tracking_switches_are_honoured(self):
        self.env["res.partner.email"].with_context(tracking_disable=True).create(
            {"partner_id": self.partner.id, "email": "quiet@example.com"}
        )
        self.assertFalse(self._notes())
