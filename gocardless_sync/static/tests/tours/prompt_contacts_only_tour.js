import { browser } from "@web/core/browser/browser";
import { rpcBus } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { FormController } from "@web/views/form/form_controller";

/**
 * The new-customer question belongs to the contact form only: a product created and saved
 * by a user who is asked about their new contacts gets no GoCardless RPC and no dialog, and
 * Odoo's FormController is not patched. Then, in the same page, a new contact is asked about
 * (the RPC watcher sees its call: the silence above is not the watcher's). Started on a new
 * product by tests/test_new_customer_prompt.py.
 */
function promptCalls() {
    return browser.gocardlessPromptCalls || [];
}

registry.category("web_tour.tours").add("gocardless_sync_prompt_contacts_only", {
    steps: () => [
        {
            content: "Watch the RPCs; keep the browser offline (partner_autocomplete)",
            trigger: ".o_form_view .o_form_editable",
            run() {
                browser.gocardlessPromptCalls = [];
                rpcBus.addEventListener("RPC:REQUEST", ({ detail }) => {
                    const params = detail.data?.params || {};
                    if (params.method === "gocardless_should_prompt") {
                        browser.gocardlessPromptCalls.push(params.model);
                    }
                });
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
            content: "The product form is Odoo's own form view, and FormController is not patched",
            trigger: ".o_form_view.o_view_controller:not(.o_gocardless_partner_form_view)",
            run() {
                if ("_gocardlessAskSync" in FormController.prototype) {
                    throw new Error("FormController is patched for every model");
                }
            },
        },
        {
            content: "Name the new product",
            trigger: ".o_field_widget[name=name] input, .o_field_widget[name=name] textarea",
            run: "edit GoCardless Tour Widget",
        },
        {
            content: "Save the new product",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The product is saved: nothing was asked about it (no RPC, no dialog)",
            trigger: ".o_breadcrumb .active:contains(GoCardless Tour Widget)",
            run() {
                if (document.querySelector(".o_gocardless_sync_prompt")) {
                    throw new Error("the GoCardless question was asked about a product");
                }
                if (promptCalls().length) {
                    throw new Error(`gocardless_should_prompt called: ${promptCalls()}`);
                }
                // the contact form, in the same page: the watcher must see its question
                odoo.__WOWL_DEBUG__.root.env.services.action.doAction({
                    type: "ir.actions.act_window",
                    res_model: "res.partner",
                    views: [[false, "form"]],
                    target: "current",
                });
            },
        },
        {
            content: "A new contact, in the contact form (GoCardless's form view): a person",
            trigger:
                ".o_gocardless_partner_form_view .o_field_widget[name=company_type] input[data-value=person]",
            run: "click",
        },
        {
            content: "Type its name",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Watched Contact",
        },
        {
            content: "Type its email",
            trigger: ".o_field_widget[name=email] input",
            run: "edit watched.contact@example.com",
        },
        {
            content: "Save the new contact",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The question is asked about the contact: do not synchronize",
            trigger: ".o_gocardless_sync_prompt .o_gocardless_sync_never",
            async run(helpers) {
                if (promptCalls().join() !== "res.partner") {
                    throw new Error(`unexpected gocardless_should_prompt calls: ${promptCalls()}`);
                }
                await helpers.click();
            },
        },
        {
            content: "The question is answered",
            trigger: "body:not(:has(.o_gocardless_sync_prompt)) .o_notification:contains(will not be created)",
        },
    ],
});
