import { registry } from "@web/core/registry";

/**
 * What a new user reads on the GoCardless screens, at the tour's window size (1440 and
 * 1024 px wide, see tests/test_screens.py): nothing they need is cut, empty places say what
 * would be there, only active mandates are green. Started by the test on the contact that
 * has an active mandate (MD00SCREENACT1) and a pending one (MD00SCREENPND1).
 */

/** Fail unless every element of `selector` exists and shows its whole text. */
function assertWhole(selector) {
    const elements = [...document.querySelectorAll(selector)];
    if (!elements.length) {
        throw new Error(`Nothing matches ${selector}`);
    }
    for (const element of elements) {
        if (element.scrollWidth > element.clientWidth + 1) {
            throw new Error(`Cut: ${selector}: "${element.textContent.trim()}"`);
        }
    }
}

function checkWhole(content, trigger, selectors) {
    return {
        content,
        trigger,
        run() {
            selectors.forEach(assertWhole);
        },
    };
}

function goTo(url, content) {
    return {
        content,
        trigger: "body",
        run() {
            window.location.href = url;
        },
    };
}

const MANDATES = ".o_field_widget[name=gocardless_mandate_ids]";

registry.category("web_tour.tours").add("gocardless_sync_screens", {
    steps: () => [
        {
            content: "Open the contact's GoCardless tab",
            trigger: ".o_notebook .nav-link:contains(GoCardless)",
            run: "click",
        },
        {
            content: "The active mandate has a green badge",
            trigger: `${MANDATES} .o_data_row:has(td:contains(MD00SCREENACT1)) .badge.text-bg-success:contains(Active)`,
        },
        {
            content: "The pending mandate is not green (usable, but not active yet)",
            trigger: `${MANDATES} .o_data_row:has(td:contains(MD00SCREENPND1)) .badge:not(.text-bg-success):contains(Pending submission)`,
        },
        checkWhole("Mandate IDs and references are whole", `${MANDATES} .o_data_row`, [
            `${MANDATES} .o_data_row td[name=gocardless_id]`,
            `${MANDATES} .o_data_row td[name=reference]`,
            `${MANDATES} thead th[data-name] > div > span.text-truncate`,
        ]),
        {
            content: "A new contact",
            trigger: ".o_form_button_create",
            run: "click",
        },
        {
            content: "Open the new contact's GoCardless tab",
            trigger: ".o_form_view .o_form_editable .o_notebook .nav-link:contains(GoCardless)",
            run: "click",
        },
        {
            content: "No customer yet: the tab says what would be there, instead of an empty table",
            trigger:
                ".o_notebook .tab-pane.active:not(:has(.o_field_widget[name=gocardless_customer_ids])) .o_gocardless_no_customer:contains(customer sync)",
        },
        {
            content: "No mandate yet: the tab says what a mandate is and where it comes from",
            trigger:
                ".o_notebook .tab-pane.active:not(:has(.o_field_widget[name=gocardless_mandate_ids])) .o_gocardless_no_mandate:contains(direct debit)",
        },
        goTo("/odoo/gocardless", "Open the integration screen"),
        {
            content: "Before the first sync, the last customer sync says Never",
            trigger:
                ".o_form_view .o_field_widget[name=last_customer_sync_at] .o_gocardless_placeholder:contains(Never)",
        },
        {
            content: "The connection status is there",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Connected)",
        },
        {
            content: "Every count is shown, none hidden in a More menu",
            trigger:
                ".o-form-buttonbox:not(:has(.o_button_more)) button[name=action_open_payments] .o_stat_text",
        },
        checkWhole(
            "Status, creditor, last sync and counts are readable whole",
            ".o-form-buttonbox button[name=action_open_customers]",
            [
                ".o_statusbar_status .o_arrow_button_current",
                ".o_field_widget[name=creditor_name] span",
                ".o_field_widget[name=last_customer_sync_at] .o_gocardless_placeholder",
                ".o-form-buttonbox .o_stat_text",
                ".o-form-buttonbox .o_stat_value",
            ]
        ),
        goTo("/odoo/settings#gocardless_sync", "Open Settings"),
        checkWhole(
            "The webhook URL in Settings is readable whole",
            ".o_gocardless_webhook_url > div > span:first-child:contains(/gocardless/webhook)",
            [".o_gocardless_webhook_url > div > span:first-child"]
        ),
    ],
});
