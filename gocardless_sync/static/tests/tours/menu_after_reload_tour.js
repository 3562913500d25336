import { registry } from "@web/core/registry";

/**
 * Every GoCardless screen keeps the Contacts app's menu bar when the page is reloaded (its
 * URL opened again): the Overview (a server action), a list opened from one of its buttons,
 * and a list opened from the menu. Started on /odoo/contacts by tests/test_menus.py.
 */
const MENU_ROOT = "gocardless_sync.gocardless_menu_root";

function contactsMenuBar(screen) {
    // after a reload the marker set before it is gone, so the old page cannot pass the step
    return {
        content: `${screen}: the Contacts menu bar is there after the reload`,
        trigger:
            `body:not(.o_gocardless_before_reload) .o_main_navbar:has(.o_menu_brand:contains(Contacts))` +
            ` .o_menu_sections button[data-menu-xmlid='${MENU_ROOT}']`,
    };
}

function reload(screen, trigger) {
    return {
        content: `${screen}: reload the page`,
        trigger,
        run() {
            document.body.classList.add("o_gocardless_before_reload");
            window.location.reload();
        },
    };
}

function openMenu(xmlid) {
    return [
        {
            content: "Open the GoCardless menu",
            trigger: `.o_menu_sections button[data-menu-xmlid='${MENU_ROOT}']`,
            run: "click",
        },
        {
            content: `Choose ${xmlid}`,
            trigger: `.dropdown-item[data-menu-xmlid='${xmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("gocardless_sync_menu_after_reload", {
    steps: () => [
        ...openMenu("gocardless_sync.gocardless_account_menu_overview"),
        reload("Overview", ".o_form_view .o_field_widget[name=connection_state]"),
        {
            content: "Overview: the integration screen is back",
            trigger: "body:not(.o_gocardless_before_reload) .o_form_view .o_field_widget[name=connection_state]",
        },
        contactsMenuBar("Overview"),
        {
            content: "Open the usable mandates from the integration screen",
            trigger: ".o_form_view button[name=action_open_usable_mandates]",
            run: "click",
        },
        reload("Usable mandates", ".o_breadcrumb:contains(GoCardless mandates)"),
        contactsMenuBar("Usable mandates"),
        {
            content: "Usable mandates: the list is back",
            trigger: ".o_breadcrumb:contains(GoCardless mandates)",
        },
        ...openMenu("gocardless_sync.gocardless_event_menu"),
        reload("Events", ".o_breadcrumb:contains(GoCardless events)"),
        contactsMenuBar("Events"),
    ],
});
