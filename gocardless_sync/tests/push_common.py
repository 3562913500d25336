"""Set-up shared by the tests of issue 5 (prompt, push, link, mandate actions)."""

from .common import GoCardlessCase

CONTACTS = "base.group_user,base.group_partner_manager"


class GoCardlessPushCase(GoCardlessCase):
    """GoCardlessCase with users who may also edit contacts, as real GoCardless users do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact_user = cls._new_user(
            "push_user", f"{CONTACTS},gocardless_sync.group_gocardless_user"
        )
        cls.contact_supervisor = cls._new_user(
            "push_supervisor", f"{CONTACTS},gocardless_sync.group_gocardless_supervisor"
        )
        cls.contact_manager = cls._new_user(
            "push_manager", f"{CONTACTS},gocardless_sync.group_gocardless_manager"
        )
        cls.account.prompt_new_customers = True

    def _posts(self, path="/customers"):
        """The POST requests the emulator received on ``path``."""
        return [r for r in self.emulator.requests if r["method"] == "POST" and r["path"] == path]

    def _key(self, partner):
        """The idempotency key of ``partner``'s customer creation (the push engine's)."""
        return self.env["gocardless.customer.push"]._idempotency_key(partner)

    def _new_partner(self, user=None, **vals):
        vals.setdefault("name", "Jane Doe")
        vals.setdefault("email", "jane.doe@example.com")
        Partner = self.env["res.partner"]
        return (Partner.with_user(user) if user else Partner).create(vals)
