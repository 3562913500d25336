import { registry } from "@web/core/registry";
import { DateTimeField, dateTimeField } from "@web/views/fields/datetime/datetime_field";

/**
 * A date-time that says something when it is empty and read-only: its `placeholder`
 * (e.g. "Never" for a sync that has not run yet), muted, instead of a blank.
 *
 *     <field name="last_customer_sync_at" widget="gocardless_datetime_or_placeholder"
 *            placeholder="Never"/>
 */
export class DateTimeOrPlaceholderField extends DateTimeField {
    static template = "gocardless_sync.DateTimeOrPlaceholderField";
}

export const dateTimeOrPlaceholderField = {
    ...dateTimeField,
    component: DateTimeOrPlaceholderField,
};

registry
    .category("fields")
    .add("gocardless_datetime_or_placeholder", dateTimeOrPlaceholderField);
