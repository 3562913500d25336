import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";

/**
 * The question asked right after a new customer's first save: create it in GoCardless now,
 * never, or later. `decide(choice)` records the choice on the server and resolves with the
 * action to run (a notification); an error the server explains (e.g. GoCardless did not
 * answer, the contact has no email) is shown in the dialog, so the user can try again (the
 * creation is idempotent) or choose otherwise.
 */
export class GoCardlessSyncPromptDialog extends Component {
    static template = "gocardless_sync.SyncPromptDialog";
    static components = { Dialog };
    static props = {
        close: Function,
        partnerName: String,
        decide: Function,
        onDecided: Function,
    };

    setup() {
        this.state = useState({ busy: false, error: "" });
        this.title = _t("Create this customer in GoCardless?");
    }

    async choose(choice) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        this.state.error = "";
        let action;
        try {
            action = await this.props.decide(choice);
        } catch (error) {
            this.state.busy = false;
            if (error instanceof RPCError && error.data?.message) {
                this.state.error = error.data.message;
                return;
            }
            throw error;
        }
        this.props.close();
        await this.props.onDecided(action);
    }
}
