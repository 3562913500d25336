import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";

/**
 * Contacts: create a customer, answer "Synchronize" to the GoCardless question asked after
 * the first save, and find the GoCardless customer ID on the contact's GoCardless tab.
 * Started on /odoo/contacts/new by tests/test_new_customer_prompt.py.
 */
registry.category("web_tour.tours").add("gocardless_sync_new_customer_prompt", {
    steps: () => [
        {
            // partner_autocomplete sends a typed name to Clearbit from the browser: keep the
            // test offline (other origins fail at once, as on a machine without network)
            content: "Keep the browser offline",
            trigger: ".o_form_view .o_form_editable",
            run() {
                const fetch = browser.fetch;
                browser.fetch = (input, init) => {
                    const url = new URL(input.url || input, window.location.href);
                    return url.origin === window.location.origin
                        ? fetch(input, init)
                        : Promise.reject(new TypeError("offline test"));
                };
            },
        },
        {
            content: "The new customer is a person",
            trigger: ".o_field_widget[name=company_type] input[data-value=person]",
            run: "click",
        },
        {
            content: "Type the new customer's name",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tess Tourist",
        },
        {
            content: "Type its email",
            trigger: ".o_field_widget[name=email] input",
            run: "edit tess.tourist@example.com",
        },
        {
            content: "Save the new customer",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The GoCardless question appears: synchronize",
            trigger: ".o_gocardless_sync_prompt .o_gocardless_sync_now",
            run: "click",
        },
        {
            content: "The question is answered",
            trigger: "body:not(:has(.o_gocardless_sync_prompt)) .o_notification:contains(GoCardless)",
        },
        {
            content: "Open the GoCardless tab",
            trigger: ".o_notebook .nav-link:contains(GoCardless)",
            run: "click",
        },
        {
            content: "The contact shows its GoCardless customer ID",
            trigger:
                ".o_field_widget[name=gocardless_customer_ids] .o_data_row td[name=gocardless_id]:contains(CU)",
        },
    ],
});
