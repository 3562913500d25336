import { registry } from "@web/core/registry";

/**
 * A contact's GoCardless tab: "Remove" and "Cancel in GoCardless" ask first, with buttons that
 * say what happens ("Keep it" changes nothing), then a notification says what was done.
 * Started on the form of "Tour Holder" by tests/test_mandate_actions.py (its mandates have
 * the references TOUR-KEEP, TOUR-REMOVE and TOUR-CANCEL, all active).
 */
const MANDATES = ".o_field_widget[name=gocardless_mandate_ids]";

registry.category("web_tour.tours").add("gocardless_sync_mandate_actions", {
    steps: () => [
        {
            content: "Open the GoCardless tab",
            trigger: ".o_notebook .nav-link:contains(GoCardless)",
            run: "click",
        },
        {
            content: "Remove a mandate",
            trigger: `${MANDATES} .o_data_row:contains(TOUR-REMOVE) button[name=action_gocardless_confirm_remove]`,
            run: "click",
        },
        {
            content: "The confirmation says what removing does; keep the mandate",
            trigger: ".modal:contains(GoCardless keeps it) .modal-footer button:contains(Keep it)",
            run: "click",
        },
        {
            content: "Nothing was removed",
            trigger: `body:not(:has(.modal)) ${MANDATES} .o_data_row:contains(TOUR-REMOVE)`,
        },
        {
            content: "Remove it again",
            trigger: `${MANDATES} .o_data_row:contains(TOUR-REMOVE) button[name=action_gocardless_confirm_remove]`,
            run: "click",
        },
        {
            content: "Confirm with the button that says it",
            trigger: ".modal .modal-footer button:contains(Remove from the contact)",
            run: "click",
        },
        {
            content: "A notification says what was done, and the mandate is gone",
            trigger: `body:not(:has(${MANDATES} .o_data_row:contains(TOUR-REMOVE))) .o_notification:contains(is removed from Tour Holder)`,
        },
        {
            content: "Cancel another mandate in GoCardless",
            trigger: `${MANDATES} .o_data_row:contains(TOUR-CANCEL) button[name=action_gocardless_confirm_cancel]`,
            run: "click",
        },
        {
            content: "Confirm with the button that says it",
            trigger: ".modal .modal-footer button:contains(Cancel the mandate in GoCardless)",
            run: "click",
        },
        {
            content: "The mandate is cancelled",
            trigger: `body:not(:has(.modal)) ${MANDATES} .o_data_row:contains(TOUR-CANCEL) td[name=status]:contains(Cancelled)`,
        },
    ],
});
