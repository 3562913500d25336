"""The customer payload and the conversion of values both ways: pure functions, no database,
no emulator."""

from datetime import date

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


@tagged("post_install", "-at_install")
class TestFieldConversion(BaseCase):
    """Values between a contact and a customer, both ways (services/customer_payload.py): the
    push writes metadata with metadata_value, the sync reads it back with field_value."""

    def test_metadata_values_of_contact_fields(self):
        self.assertEqual(payload.metadata_value("char", "C-7"), "C-7")
        self.assertEqual(payload.metadata_value("integer", 42), "42")
        self.assertEqual(payload.metadata_value("float", 2.5), "2.5")
        self.assertEqual(payload.metadata_value("date", date(2025, 3, 1)), "2025-03-01")
        # a checkbox is always sent; any other empty value takes no key
        self.assertEqual(payload.metadata_value("boolean", True), "true")
        self.assertEqual(payload.metadata_value("boolean", False), "false")
        for ttype in ("char", "text", "integer", "date"):
            with self.subTest(ttype=ttype):
                self.assertIsNone(payload.metadata_value(ttype, False))
                self.assertIsNone(payload.metadata_value(ttype, ""))
                self.assertIsNone(payload.metadata_value(ttype, None))

    def test_field_values_of_gocardless_values(self):
        self.assertEqual(payload.field_value("char", "C-7"), "C-7")
        self.assertEqual(payload.field_value("text", 12), "12")
        self.assertEqual(payload.field_value("integer", "42"), 42)
        self.assertEqual(payload.field_value("float", "2.5"), 2.5)
        self.assertEqual(payload.field_value("date", "2025-03-01T10:00:00Z"), date(2025, 3, 1))
        for text in ("1", "true", " Yes ", "Y"):
            self.assertIs(payload.field_value("boolean", text), True)
        for text in ("0", "false", "no", "off"):
            self.assertIs(payload.field_value("boolean", text), False)
        # empty, or not of the field's type: not copied
        for ttype, raw in (
            ("char", None),
            ("char", ""),
            ("integer", "4.5"),
            ("float", "n/a"),
            ("date", "01/03/2025"),
            ("date", "2025-13-01"),
        ):
            with self.subTest(ttype=ttype, raw=raw):
                self.assertIsNone(payload.field_value(ttype, raw))

    def test_what_the_push_writes_the_sync_reads_back(self):
        for ttype, value in (
            ("char", "C-7"),
            ("text", "two\nlines"),
            ("integer", 42),
            ("float", 2.5),
            ("boolean", True),
            ("boolean", False),
            ("date", date(2024, 2, 29)),
        ):
            with self.subTest(ttype=ttype, value=value):
                text = payload.metadata_value(ttype, value)
                self.assertIsInstance(text, str)
                self.assertEqual(payload.field_value(ttype, text), value)

    def test_mapped_values(self):
        rules = [
            payload.FieldRule("metadata", "customer_number", "ref", "char", update_existing=True),
            payload.FieldRule("field", "family_name", "function", "char"),
            payload.FieldRule("metadata", "vip", "is_vip", "boolean"),
            payload.FieldRule("metadata", "since", "since", "date", update_existing=True),
        ]
        customer = {
            "id": "CU1",
            "family_name": "Newman",
            "metadata": {"customer_number": "C-002", "vip": "true", "since": "not a date"},
        }
        self.assertEqual(
            payload.mapped_values(customer, rules),
            {"ref": "C-002", "function": "Newman", "is_vip": True},
        )
        # matched contacts get only the "also update" mappings
        self.assertEqual(payload.mapped_values(customer, rules, updating=True), {"ref": "C-002"})
        self.assertEqual(payload.mapped_values({"id": "CU2"}, rules), {})

    def test_metadata_items(self):
        rules = [
            payload.FieldRule("metadata", "vat_number", "vat", "char"),
            payload.FieldRule("field", "given_name", "name", "char"),  # not metadata: not sent
            payload.FieldRule("metadata", "vip", "is_vip", "boolean"),
        ]
        values = {"vat": "BE0477472701", "is_vip": False, "name": "Jane"}
        self.assertEqual(
            payload.metadata_items(7, "C-7", rules, values),
            [
                ("odoo_partner_id", "7"),
                ("odoo_partner_ref", "C-7"),
                ("vat_number", "BE0477472701"),
                ("vip", "false"),
            ],
        )
        # a mapping of the Reference replaces odoo_partner_ref; an empty Reference has no value
        by_ref = [payload.FieldRule("metadata", "customer_number", "ref", "char")]
        self.assertEqual(
            payload.metadata_items(7, "C-7", by_ref, {"ref": "C-7"}),
            [("odoo_partner_id", "7"), ("customer_number", "C-7")],
        )
        self.assertEqual(
            payload.metadata_items(7, False, [], {}),
            [("odoo_partner_id", "7"), ("odoo_partner_ref", None)],
        )

    def test_contact_values_of_a_new_customer(self):
        countries = {"GB": 10, "FR": 20}
        states = {(10, "greater london"): 101, (10, "lnd"): 101}
        langs = {"en": "en_GB", "en_gb": "en_GB", "fr": "fr_FR"}
        values = payload.contact_values(
            {
                "id": "CU1",
                "given_name": "Jane",
                "family_name": "Doe",
                "email": " jane@example.com ",
                "phone_number": "+44 20 7946 0000",
                "address_line1": "1 High Street",
                "address_line2": "Flat 2",
                "address_line3": "Islington",
                "city": "London",
                "postal_code": "N1 1AA",
                "region": " Greater London ",
                "country_code": "gb",
                "language": "EN",
            },
            countries,
            states,
            langs,
        )
        self.assertEqual(
            values,
            {
                "name": "Jane Doe",
                "is_company": False,
                "email": "jane@example.com",
                "phone": "+44 20 7946 0000",
                "street": "1 High Street",
                "street2": "Flat 2, Islington",
                "city": "London",
                "zip": "N1 1AA",
                "country_id": 10,
                "state_id": 101,
                "lang": "en_GB",
            },
        )
        company = payload.contact_values(
            {"id": "CU2", "company_name": "Acme", "given_name": "Jo", "language": "ja"},
            countries,
            states,
            langs,
        )
        self.assertEqual((company["name"], company["is_company"]), ("Acme", True))
        self.assertNotIn("lang", company)
        self.assertFalse(company["country_id"] or company["state_id"] or company["email"])
        # no name at all: the email, else the GoCardless ID
        self.assertEqual(payload.contact_values({"id": "CU3"}, {}, {}, {})["name"], "CU3")
        nameless = payload.contact_values({"id": "CU4", "email": "a@b.example"}, {}, {}, {})
        self.assertEqual(nameless["name"], "a@b.example")

    def test_customer_label(self):
        self.assertEqual(
            payload.customer_label(
                {"company_name": "Acme", "given_name": "Jo", "family_name": "Bloggs"}
            ),
            "Acme (Jo Bloggs)",
        )
        self.assertEqual(payload.customer_label({"given_name": "Jo"}), "Jo")
        self.assertEqual(payload.customer_label({"company_name": "Acme"}), "Acme")
        self.assertIsNone(payload.customer_label({}))
