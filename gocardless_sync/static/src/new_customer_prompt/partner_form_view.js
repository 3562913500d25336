import { status } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";
import { GoCardlessSyncPromptDialog } from "./sync_prompt_dialog";

// the server method that records each choice of the question
const DECISION_METHODS = {
    synced: "action_gocardless_push",
    never: "action_gocardless_decide_never",
    later: "action_gocardless_decide_later",
};

/**
 * The contact form's controller (the form view `gocardless_partner_form`, set as `js_class` on
 * the contact form by views/res_partner_views.xml, so that no other model's form is touched):
 * after the first save of a contact created in a main form view (Contacts), ask whether to
 * create it in GoCardless. The server decides whether to ask (account setting, token, the
 * user's GoCardless rights, nothing decided yet); contacts created elsewhere (the customer
 * sync, imports, quick creates, child contacts saved with their company, forms in dialogs)
 * are never asked about.
 */
export class GoCardlessPartnerFormController extends FormController {
    async onWillSaveRecord(record) {
        const result = await super.onWillSaveRecord(...arguments);
        if (record === this.model.root && record.isNew && !this.env.inDialog) {
            // the datapoint keeps its id through the creation: onRecordSaved recognises it
            this._gocardlessNewRecordId = record.id;
        }
        return result;
    }

    async onRecordSaved(record) {
        await super.onRecordSaved(...arguments);
        if (this._gocardlessNewRecordId && this._gocardlessNewRecordId === record.id) {
            this._gocardlessNewRecordId = undefined;
            const resId = record.resId;
            const name = record.data.display_name || record.data.name || "";
            // not awaited: the save (and the form's reload) must not wait for the user
            this._gocardlessAskSync(resId, name);
        }
    }

    async _gocardlessAskSync(resId, partnerName) {
        // the service itself, not this component's protected handle: the question must still
        // work when the save was the one made on leaving the form (the controller is gone)
        const orm = this.env.services.orm;
        const ask = await orm.call("res.partner", "gocardless_should_prompt", [[resId]]);
        if (!ask) {
            return;
        }
        let decided = false;
        const decide = async (choice) => {
            const action = await orm.call("res.partner", DECISION_METHODS[choice], [[resId]]);
            decided = true;
            return action;
        };
        const onDecided = async (action) => {
            if (action?.tag === "display_notification") {
                // reload the record here: the action's soft reload would restore the form as it
                // was opened, i.e. on a new record
                action = { ...action, params: { ...action.params, next: undefined } };
            }
            await this.env.services.action.doAction(action);
            const root = this.model.root;
            if (status(this) !== "destroyed" && root.resId === resId && !(await root.isDirty())) {
                await root.load();
            }
        };
        this.dialogService.add(
            GoCardlessSyncPromptDialog,
            { partnerName, decide, onDecided },
            {
                // closed without choosing: the same as "Choose later"
                onClose: async () => {
                    if (!decided) {
                        await onDecided(await decide("later"));
                    }
                },
            }
        );
    }
}

export const goCardlessPartnerFormView = {
    ...formView,
    Controller: GoCardlessPartnerFormController,
};

registry.category("views").add("gocardless_partner_form", goCardlessPartnerFormView);
