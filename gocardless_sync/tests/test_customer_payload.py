"""The customer payload alone: pure functions, no database, no emulator."""

from odoo.tests import BaseCase, tagged

from ..services import customer_payload as payload


@tagged("post_install", "-at_install")
class TestCustomerPayload(BaseCase):
    def test_metadata_keeps_three_keys_in_order_of_priority(self):
        metadata, notices = payload.fit_metadata(
            [("a", "1"), ("b", ""), ("c", None), ("d", "4"), ("a", "again"), ("e", "5"), ("f", "6")]
        )
        self.assertEqual(metadata, {"a": "1", "d": "4", "e": "5"})
        self.assertEqual(notices, [payload.Notice(payload.TOO_MANY_KEYS, "f")])

    def test_metadata_never_carries_false(self):
        """An empty Odoo field is False: it takes no key (it was sent as the text "False")."""
        metadata, _notices = payload.fit_metadata(
            [("odoo_partner_id", "7"), ("odoo_partner_ref", False), ("flag", "false")]
        )
        self.assertEqual(metadata, {"odoo_partner_id": "7", "flag": "false"})

    def test_metadata_limits_of_keys_and_values(self):
        long_key = "k" * 51
        metadata, notices = payload.fit_metadata(
            [(long_key, "x"), ("k" * 50, "y"), ("v", "é" * 501), ("ok", "z" * 500)]
        )
        self.assertEqual(metadata, {"k" * 50: "y", "v": "é" * 500, "ok": "z" * 500})
        self.assertEqual(
            notices,
            [
                payload.Notice(payload.KEY_TOO_LONG, long_key),
                payload.Notice(payload.VALUE_SHORTENED, "v", 501),
            ],
        )

    def test_names(self):
        self.assertEqual(
            payload.split_person_name(" Ada  King Lovelace "), ("Ada King", "Lovelace")
        )
        self.assertIsNone(payload.split_person_name("Cher"))
        self.assertIsNone(payload.split_person_name(""))

    def test_languages(self):
        self.assertEqual(payload.language_code("fr_BE"), "fr")
        self.assertEqual(payload.language_code("nb_NO"), "nb")
        self.assertIsNone(payload.language_code("ja_JP"))
        self.assertIsNone(payload.language_code(False))

    def test_person_of_a_company(self):
        params, notices = payload.customer_params(
            {
                "name": "Jane Doe",
                "is_company": False,
                "company_name": "Doe Trading",
                "email": " jane@example.com ",
                "street": "1 High Street",
                "street2": "",
                "city": "London",
                "zip": "N1 1AA",
                "region": None,
                "country_code": "gb",
                "phone": "+44 20 7946 0000",
                "lang": "en_GB",
            },
            [("odoo_partner_id", "7")],
        )
        self.assertEqual(
            params,
            {
                "email": "jane@example.com",
                "given_name": "Jane",
                "family_name": "Doe",
                "company_name": "Doe Trading",
                "address_line1": "1 High Street",
                "city": "London",
                "postal_code": "N1 1AA",
                "country_code": "GB",
                "phone_number": "+44 20 7946 0000",
                "language": "en",
                "metadata": {"odoo_partner_id": "7"},
            },
        )
        self.assertEqual(notices, [])

    def test_company_and_one_word_names(self):
        params, _notices = payload.customer_params({"name": "Acme", "is_company": True}, [])
        self.assertEqual(params, {"company_name": "Acme"})
        # GoCardless needs a company name or both parts of a person's name
        params, _notices = payload.customer_params({"name": "Cher", "is_company": False}, [])
        self.assertEqual(params, {"company_name": "Cher"})
