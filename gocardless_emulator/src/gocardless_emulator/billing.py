"""Billing Requests with a mandate request, and Billing Request Flows (the hosted page).

A request is created ``pending`` with four actions: ``choose_currency`` (done: the
currency is given), ``collect_customer_details``, ``collect_bank_account`` and
``confirm_payer_details``. When every required action is completed it is
``ready_to_fulfil``; ``fulfil`` creates the mandate (``pending_submission``) and makes it
``fulfilled``. A flow is the page where the payer does those actions; with ``auto_fulfil``
(the default) submitting it fulfils the request too.

Like GoCardless's, a request that names no customer gets one at once (empty until the payer
fills it in), shown under ``links.customer``.
"""

from __future__ import annotations

import datetime as _dt

from . import lifecycle, problems, resources
from .clock import now

FLOW_LIFETIME_DAYS = 7
ORGANISATION_ID = "OR000000000001"
CUSTOMER_DETAIL_FIELDS = ("email", "given_name", "family_name")
BILLING_DETAIL_FIELDS = ("address_line1", "city", "postal_code", "country_code")
# What the hosted page (and complete_billing_request_flow) takes.
PAYER_CUSTOMER_FIELDS = (
    "given_name",
    "family_name",
    "company_name",
    "email",
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "region",
    "postal_code",
    "country_code",
    "language",
    "phone_number",
)
PAYER_BANK_FIELDS = ("account_holder_name", "account_number", "branch_code", "iban")


class FlowClosed(ValueError):
    """The flow cannot be used any more (fulfilled, cancelled or expired request/flow)."""


class Billing:
    """The Billing Requests part of an :class:`~gocardless_emulator.state.EmulatorState`."""

    def __init__(self, state):
        self.state = state
        self.clear()

    def clear(self) -> None:
        self.notifications: list[dict] = []  # what ``notify`` asked GoCardless to send
        self._confirmed: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def _event(self, request: dict, action: str, flow: dict | None = None, **links) -> dict:
        origin, cause, description = lifecycle.BILLING_REQUEST_EVENTS[action]
        if flow is None:  # an API call of the integrator, not the payer on the page
            origin = "api"
        event_links = {"billing_request": request["id"]}
        if flow is not None:
            event_links["billing_request_flow"] = flow["id"]
        event_links.update(links)
        return self.state.record_event(
            "billing_requests",
            action,
            event_links,
            {"origin": origin, "cause": cause, "description": description},
            resource_metadata=request.get("metadata"),
        )

    def _customer(self, request: dict) -> dict:
        return self.state.customers[request["links"]["customer"]]

    def _missing_customer_fields(self, customer: dict) -> list[str]:
        missing = [name for name in CUSTOMER_DETAIL_FIELDS if not customer.get(name)]
        if customer.get("company_name"):
            missing = [name for name in missing if name not in ("given_name", "family_name")]
        return missing

    def _refresh(self, request: dict) -> None:
        """Recompute ``actions``, ``resources`` and the status from what was collected."""
        if request["status"] not in resources.BILLING_REQUEST_OPEN:
            return
        state = self.state
        customer = self._customer(request)
        mandate_request = request["mandate_request"]
        missing_customer = self._missing_customer_fields(customer)
        missing_detail = [name for name in BILLING_DETAIL_FIELDS if not customer.get(name)]
        details_done = not missing_customer and not missing_detail
        account_id = request["links"].get("customer_bank_account")
        confirmed = request["id"] in self._confirmed

        def status(done: bool) -> str:
            return "completed" if done else "pending"

        request["actions"] = [
            {
                "available_currencies": [mandate_request["currency"]],
                "completes_actions": [],
                "required": True,
                "requires_actions": [],
                "status": "completed",
                "type": "choose_currency",
            },
            {
                "collect_customer_details": {
                    "default_country_code": resources.SCHEME_COUNTRY[mandate_request["scheme"]],
                    "incomplete_fields": {
                        "customer": missing_customer,
                        "customer_billing_detail": missing_detail,
                    },
                },
                "completes_actions": [],
                "required": True,
                "requires_actions": ["choose_currency"],
                "status": status(details_done),
                "type": "collect_customer_details",
            },
            {
                "completes_actions": ["choose_currency"],
                "required": True,
                "requires_actions": [],
                "status": status(bool(account_id)),
                "type": "collect_bank_account",
            },
            {
                "completes_actions": [],
                "required": True,
                "requires_actions": ["collect_customer_details", "collect_bank_account"],
                "status": status(confirmed),
                "type": "confirm_payer_details",
            },
        ]
        account = state.bank_accounts.get(account_id) if account_id else None
        request["resources"] = {
            "customer": resources.billing_request_customer(customer),
            "customer_bank_account": (
                resources.billing_request_bank_account(account) if account else None
            ),
            "customer_billing_detail": resources.customer_billing_detail(
                request["links"]["customer_billing_detail"], customer, [mandate_request["scheme"]]
            ),
        }
        ready = details_done and bool(account_id) and confirmed
        request["status"] = "ready_to_fulfil" if ready else "pending"

    def _open(self, request: dict) -> None:
        if request["status"] == "fulfilled":
            raise problems.invalid_state(
                "billing_request_already_fulfilled", "This billing request is already fulfilled."
            )
        if request["status"] == "cancelled":
            raise problems.invalid_state(
                "billing_request_cancelled", "This billing request has been cancelled."
            )

    # ------------------------------------------------------------------ API operations

    def create_request(self, fields: dict) -> dict:
        """``POST /billing_requests`` (shape already checked by the API layer)."""
        state = self.state
        links = dict(fields.get("links") or {})
        mandate_fields = dict(fields["mandate_request"])
        currency = mandate_fields["currency"]
        mandate_fields.setdefault("scheme", resources.CURRENCY_SCHEME[currency])
        mandate_fields["metadata"] = dict(mandate_fields.get("metadata") or {})
        request_id = state.new_id("BRQ")
        customer_id = links.get("customer")
        if not customer_id:
            customer = state.insert_customer({})
            customer_id = customer["id"]
            state.step_event(
                "customers",
                "created",
                lifecycle.CUSTOMER_CREATED,
                {"customer": customer_id},
                resource=customer,
            )
        request_links = {
            "creditor": state.creditor["id"],
            "customer": customer_id,
            "customer_billing_detail": state.new_id("CBD"),
            "mandate_request": state.new_id("MRQ"),
            "organisation": ORGANISATION_ID,
        }
        if links.get("customer_bank_account"):
            request_links["customer_bank_account"] = links["customer_bank_account"]
        request = resources.billing_request(
            request_id,
            state.stamp(),
            {
                "links": request_links,
                "mandate_request": resources.mandate_request(mandate_fields),
                "metadata": dict(fields.get("metadata") or {}),
                "fallback_enabled": bool(fields.get("fallback_enabled", False)),
                "purpose_code": fields.get("purpose_code"),
            },
        )
        state.insert("billing_requests", request)
        self._refresh(request)
        self._event(request, "created", customer=customer_id)
        return request

    def collect_customer_details(self, request: dict, data: dict, flow=None) -> dict:
        self._open(request)
        customer = self._customer(request)
        for group in ("customer", "customer_billing_detail"):
            for key, value in (data.get(group) or {}).items():
                if key == "metadata":
                    customer["metadata"] = dict(value or {})
                elif key != "ip_address":
                    customer[key] = value
        self._refresh(request)
        self._event(request, "collect_customer_details", flow, customer=customer["id"])
        return request

    def collect_bank_account(self, request: dict, data: dict, flow=None) -> dict:
        self._open(request)
        state = self.state
        customer = self._customer(request)
        scheme = request["mandate_request"]["scheme"]
        number = str(data.get("account_number") or data.get("iban") or "")
        fields = {
            "account_holder_name": data.get("account_holder_name"),
            "account_number_ending": number[-2:] if number else None,
            "account_type": data.get("account_type"),
            "country_code": data.get("country_code") or resources.SCHEME_COUNTRY[scheme],
            "currency": data.get("currency") or request["mandate_request"]["currency"],
            "metadata": dict(data.get("metadata") or {}),
        }
        fields["bank_name"] = resources.BANK_NAMES.get(fields["country_code"], "EMULATED BANK")
        account = state.insert_bank_account(customer["id"], fields)
        request["links"]["customer_bank_account"] = account["id"]
        self._refresh(request)
        self._event(
            request,
            "collect_bank_account",
            flow,
            customer=customer["id"],
            customer_bank_account=account["id"],
        )
        return request

    def confirm_payer_details(self, request: dict, data: dict, flow=None) -> dict:
        self._open(request)
        pending = [
            action["type"]
            for action in request["actions"]
            if action["type"] in ("collect_customer_details", "collect_bank_account")
            and action["status"] != "completed"
        ]
        if pending:
            raise problems.invalid_state(
                "billing_request_action_requirements_not_met",
                f"Complete {' and '.join(pending)} before confirming the payer's details.",
            )
        self._confirmed.add(request["id"])
        self._refresh(request)
        self._event(request, "payer_details_confirmed", flow)
        return request

    def fulfil(self, request: dict, data: dict, flow=None) -> dict:
        self._open(request)
        if request["status"] != "ready_to_fulfil":
            raise problems.invalid_state(
                "billing_request_not_ready_to_fulfil",
                "This billing request still has required actions to complete.",
            )
        state = self.state
        mandate_request = request["mandate_request"]
        customer_id = request["links"]["customer"]
        account_id = request["links"]["customer_bank_account"]
        request["status"] = "fulfilling"
        mandate = state.insert_mandate(
            customer_id,
            "pending_submission",
            mandate_request["scheme"],
            {
                "links": {"customer_bank_account": account_id},
                "metadata": dict(mandate_request.get("metadata") or {}),
                "authorisation_source": "web",
            },
        )
        state.mandate_created(mandate)
        mandate_request["links"] = {"mandate": mandate["id"]}
        request["links"]["mandate_request_mandate"] = mandate["id"]
        request["actions"] = []
        request["status"] = "fulfilled"
        if data.get("metadata"):
            request["metadata"] = dict(data["metadata"])
        self._event(
            request,
            "fulfilled",
            flow,
            customer=customer_id,
            customer_bank_account=account_id,
            mandate_request_mandate=mandate["id"],
        )
        return request

    def cancel(self, request: dict, data: dict, flow=None) -> dict:
        self._open(request)
        request["status"] = "cancelled"
        if data.get("metadata"):
            request["metadata"] = dict(data["metadata"])
        self._event(request, "cancelled")
        return request

    def notify(self, request: dict, data: dict, flow=None) -> dict:
        """Ask GoCardless to email the payer (recorded in :attr:`notifications`)."""
        self._open(request)
        customer = self._customer(request)
        if not customer.get("email"):
            raise problems.invalid_state(
                "customer_email_missing",
                "The billing request's customer has no email address to notify.",
            )
        self.notifications.append(
            {
                "billing_request": request["id"],
                "email": customer["email"],
                "notification_type": data.get("notification_type"),
                "redirect_uri": data.get("redirect_uri"),
                "sent_at": self.state.stamp(),
            }
        )
        return request

    ACTIONS = (
        "collect_customer_details",
        "collect_bank_account",
        "confirm_payer_details",
        "fulfil",
        "cancel",
        "notify",
    )

    def action(self, request: dict, action: str, data: dict) -> dict:
        return getattr(self, action)(request, data)

    # ------------------------------------------------------------------ flows

    def create_flow(self, fields: dict) -> dict:
        """``POST /billing_request_flows`` (shape already checked by the API layer)."""
        state = self.state
        request = state.billing_requests[fields["links"]["billing_request"]]
        self._open(request)
        flow_id = state.new_id("BRF")
        created = now()
        values = {key: fields[key] for key in resources.FLOW_OPTION_KEYS if key in fields}
        values.update(
            {
                "authorisation_url": f"{state.flow_base_url}/flow/{flow_id}",
                "customer_details_captured": request["actions"][1]["status"] == "completed",
                "expires_at": resources.format_timestamp(
                    created + _dt.timedelta(days=FLOW_LIFETIME_DAYS)
                ),
                "links": {"billing_request": request["id"]},
                "prefilled_bank_account": {
                    "account_type": (fields.get("prefilled_bank_account") or {}).get("account_type")
                },
                "prefilled_customer": dict(fields.get("prefilled_customer") or {}),
            }
        )
        flow = resources.billing_request_flow(flow_id, resources.format_timestamp(created), values)
        state.insert("billing_request_flows", flow)
        self._event(request, "flow_created", flow)
        return flow

    def flow_request(self, flow: dict) -> dict:
        return self.state.billing_requests[flow["links"]["billing_request"]]

    def flow_closed_reason(self, flow: dict) -> str | None:
        """Why the payer can no longer use this flow, or ``None``."""
        request = self.flow_request(flow)
        if request["status"] == "fulfilled":
            return "This Direct Debit has already been set up."
        if request["status"] == "cancelled":
            return "This request has been cancelled."
        if resources.format_timestamp(now()) > flow["expires_at"]:
            return "This link has expired."
        return None

    def visit_flow(self, flow: dict) -> dict:
        reason = self.flow_closed_reason(flow)
        if reason:
            raise FlowClosed(reason)
        return self._event(self.flow_request(flow), "flow_visited", flow)

    def exit_flow(self, flow: dict) -> dict:
        return self._event(self.flow_request(flow), "flow_exited", flow)

    def payer_form(self, flow: dict) -> dict:
        """The values the page shows: prefilled, else what the customer already holds."""
        customer = self._customer(self.flow_request(flow))
        prefilled = flow["prefilled_customer"]
        values = {}
        for name in PAYER_CUSTOMER_FIELDS:
            values[name] = prefilled.get(name) or customer.get(name) or ""
        return values

    def complete_flow(self, flow: dict, details: dict) -> dict:
        """What submitting the page does: collect the customer's details and bank account,
        confirm them and (``auto_fulfil``) fulfil the request. ``ValueError`` (listing the
        missing fields) or :class:`FlowClosed` when it cannot."""
        unknown = sorted(set(details) - set(PAYER_CUSTOMER_FIELDS) - set(PAYER_BANK_FIELDS))
        if unknown:
            raise TypeError(f"unknown payer field(s) {', '.join(unknown)}")
        reason = self.flow_closed_reason(flow)
        if reason:
            raise FlowClosed(reason)
        request = self.flow_request(flow)
        values = self.payer_form(flow)
        for name in PAYER_CUSTOMER_FIELDS:
            locked = flow["lock_customer_details"] and flow["prefilled_customer"].get(name)
            if details.get(name) not in (None, "") and not locked:
                values[name] = str(details[name]).strip()
        customer = {name: value or None for name, value in values.items()}
        missing = self._missing_customer_fields(customer)
        missing += [name for name in BILLING_DETAIL_FIELDS if not customer.get(name)]
        account_number = str(details.get("account_number") or details.get("iban") or "").strip()
        if not account_number:
            missing.append("account_number")
        if missing:
            raise ValueError(f"missing: {', '.join(missing)}")
        holder = str(details.get("account_holder_name") or "").strip() or (
            customer.get("company_name")
            or " ".join(filter(None, (customer.get("given_name"), customer.get("family_name"))))
        )
        billing = {
            name: customer[name] for name in resources.BILLING_DETAIL_KEYS if name in customer
        }
        person = {name: customer[name] for name in customer if name not in billing}
        self.collect_customer_details(
            request, {"customer": person, "customer_billing_detail": billing}, flow
        )
        flow["customer_details_captured"] = True
        self.collect_bank_account(
            request,
            {
                "account_holder_name": holder,
                "account_number": account_number,
                "country_code": customer.get("country_code"),
            },
            flow,
        )
        self.confirm_payer_details(request, {}, flow)
        if flow["auto_fulfil"]:
            self.fulfil(request, {}, flow)
        return request
