import { registry } from "@web/core/registry";

// the columns of a balance export's lines that must never be cut
const WHOLE = ["reference", "mandate_id", "payment_id", "gocardless_payment_id", "gocardless_status"];

function cutCells() {
    const cut = [];
    for (const name of WHOLE) {
        const cells = document.querySelectorAll(
            `.o_field_one2many[name=line_ids] .o_data_row td[name=${name}]`
        );
        if (!cells.length) {
            cut.push(`${name}: no cell`);
        }
        for (const cell of cells) {
            // the cell, or a badge or link inside it, narrower than its text
            for (const element of [cell, ...cell.querySelectorAll("*")]) {
                if (element.scrollWidth > element.clientWidth + 1) {
                    cut.push(`${name}: ${cell.textContent.trim()}`);
                    break;
                }
            }
        }
    }
    return cut;
}

/**
 * A balance export's lines at 1440 px: references, GoCardless and Odoo payment IDs and
 * statuses are shown whole. Started on the batch's form by tests/test_export_screens.py.
 */
registry.category("web_tour.tours").add("gocardless_sync_export_lines_uncut", {
    steps: () => [
        {
            content: "The batch's lines are shown, with their payments",
            trigger: ".o_field_one2many[name=line_ids] .o_data_row td[name=gocardless_payment_id]:not(:empty)",
            run() {
                const cut = cutCells();
                if (cut.length) {
                    throw new Error(`Cut at ${window.innerWidth} px: ${cut.join("; ")}`);
                }
            },
        },
    ],
});
