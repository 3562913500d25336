from odoo.tests import HttpCase, tagged

from .common import GoCardlessEmulatorMixin


@tagged("post_install", "-at_install")
class TestMenus(GoCardlessEmulatorMixin, HttpCase):
    """GoCardless screens live in the Contacts app, also after a reload.

    On a reload, Odoo's web client picks the app whose menu opens the first action of the
    URL, found by the action's ID or ``path``. An action without either (what a server action
    returns, such as the Overview) left no app at all: no menu bar."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()

    def _menu_actions(self):
        """{menu: action} for every GoCardless menu."""
        root = self.env.ref("gocardless_sync.gocardless_menu_root")
        menus = (
            self.env["ir.ui.menu"]
            .with_context(**{"ir.ui.menu.full_list": True})
            .search([("id", "child_of", root.id), ("action", "!=", False)])
        )
        return {menu: menu.action for menu in menus}

    def test_every_menu_action_has_a_path_in_the_contacts_app(self):
        contacts = self.env.ref("contacts.menu_contacts")
        actions = self._menu_actions()
        self.assertGreaterEqual(len(actions), 8)
        for menu, action in actions.items():
            with self.subTest(menu=menu.complete_name):
                self.assertTrue(action.path, "the URL names the action, so a reload finds it")
                self.assertTrue(action.path.startswith("gocardless"))
                self.assertEqual(menu.parent_path.split("/")[0], str(contacts.id))
        # one menu per action: the web client finds the app from the action's first menu
        self.assertEqual(len(set(actions.values())), len(actions))

    def test_reload_keeps_the_contacts_menu_bar(self):
        self.start_tour("/odoo/contacts", "gocardless_sync_menu_after_reload", login="admin")
