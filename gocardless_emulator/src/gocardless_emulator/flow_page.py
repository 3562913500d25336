"""The hosted page of a Billing Request Flow (its ``authorisation_url``), served by the
emulator itself at ``/flow/<BRF id>``: no token, not logged, never faulted.

``GET`` shows a form prefilled from the flow (records ``flow_visited``); ``POST`` takes the
payer's name, email, address and fake bank details, creates the customer's details, bank
account and mandate and fulfils the request (see :meth:`.billing.Billing.complete_flow`),
then sends the payer to the flow's ``redirect_uri``; the "Cancel" link
(``/flow/<id>/exit``) records ``flow_exited`` and goes to its ``exit_uri``.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from .billing import FlowClosed

PREFIX = "/flow/"
_FIELDS = (
    ("given_name", "First name", "text"),
    ("family_name", "Last name", "text"),
    ("company_name", "Company (optional)", "text"),
    ("email", "Email", "email"),
    ("address_line1", "Address", "text"),
    ("city", "Town or city", "text"),
    ("postal_code", "Postcode", "text"),
    ("country_code", "Country code (e.g. GB)", "text"),
)
_BANK_FIELDS = (
    ("account_holder_name", "Account holder name", "text"),
    ("account_number", "Account number or IBAN (any fake number)", "text"),
    ("branch_code", "Sort code or bank code (optional)", "text"),
)
_STYLE = (
    "body{font-family:sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "label{display:block;margin:.6rem 0 .2rem;font-size:.9rem}"
    "input{width:100%;padding:.45rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.6rem 1.4rem;background:#1c3d5a;color:#fff;border:0}"
    ".error{background:#fde8e8;padding:.6rem;border-left:4px solid #c00}"
    ".note{color:#666;font-size:.85rem}"
)


def _page(title: str, content: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<p class='note'>GoCardless emulator: a demo payment page, no real money.</p>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    ).encode()


def _message(status: int, title: str, text: str) -> tuple[int, bytes, dict]:
    return status, _page(title, f"<p>{html.escape(text)}</p>"), {}


def _input(name: str, label: str, kind: str, value: str, locked: bool) -> str:
    readonly = " readonly" if locked else ""
    return (
        f"<label for='{name}'>{html.escape(label)}</label>"
        f"<input id='{name}' name='{name}' type='{kind}' value='{html.escape(value)}'{readonly}>"
    )


def _form(state, flow: dict, values: dict, error: str | None = None) -> bytes:
    request = state.billing.flow_request(flow)
    mandate_request = request["mandate_request"]
    prefilled = flow["prefilled_customer"]
    parts = []
    if error:
        parts.append(f"<p class='error'>{html.escape(error)}</p>")
    parts.append(
        f"<p>{html.escape(state.creditor['name'])} asks you to set up a Direct Debit "
        f"({html.escape(mandate_request['scheme'])}, {html.escape(mandate_request['currency'])})."
        "</p>"
    )
    parts.append(f"<form method='post' action='{PREFIX}{flow['id']}'>")
    for name, label, kind in _FIELDS:
        locked = bool(flow["lock_customer_details"] and prefilled.get(name))
        parts.append(_input(name, label, kind, values.get(name) or "", locked))
    parts.append("<h2>Bank account</h2>")
    for name, label, kind in _BANK_FIELDS:
        parts.append(_input(name, label, kind, values.get(name) or "", False))
    parts.append("<button type='submit'>Set up Direct Debit</button></form>")
    parts.append(f"<p><a href='{PREFIX}{flow['id']}/exit'>Cancel</a></p>")
    return _page("Set up a Direct Debit", "".join(parts))


def _redirect(url: str) -> tuple[int, bytes, dict]:
    return (
        303,
        _page("Redirecting", f"<p><a href='{html.escape(url)}'>Continue</a></p>"),
        {"Location": url},
    )


def handle(state, method: str, path: str, raw: bytes) -> tuple[int, bytes, dict]:
    """Answer one request for the page: ``(status, html_bytes, extra_headers)``."""
    parts = path[len(PREFIX) :].strip("/").split("/")
    flow_id, rest = parts[0], parts[1:]
    with state.lock:
        flow = state.get("billing_request_flows", flow_id)
        if flow is None or rest not in ([], ["exit"]):
            return _message(404, "Page not found", "This payment link does not exist.")
        if rest == ["exit"]:
            if method != "GET":
                return _message(405, "Not allowed", "Use the Cancel link.")
            state.billing.exit_flow(flow)
            if flow["exit_uri"]:
                return _redirect(flow["exit_uri"])
            return _message(200, "You left", "No Direct Debit was set up. You can close this page.")
        if method == "GET":
            try:
                state.billing.visit_flow(flow)
            except FlowClosed as closed:
                return _message(410, "This link cannot be used", str(closed))
            return 200, _form(state, flow, state.billing.payer_form(flow)), {}
        if method != "POST":
            return _message(405, "Not allowed", "Use the form.")
        submitted = {
            key: values[-1]
            for key, values in parse_qs(raw.decode("utf-8", "replace")).items()
            if key in {name for name, _, _ in _FIELDS + _BANK_FIELDS}
        }
        submitted.pop("branch_code", None)  # accepted on the page, not kept
        try:
            state.billing.complete_flow(flow, submitted)
        except FlowClosed as closed:
            return _message(410, "This link cannot be used", str(closed))
        except ValueError as error:
            values = {**state.billing.payer_form(flow), **submitted}
            return (
                422,
                _form(state, flow, values, f"Please fill in: {error}".replace("missing: ", "")),
                {},
            )
        if flow["redirect_uri"]:
            return _redirect(flow["redirect_uri"])
        return _message(
            200, "Thank you", "Your Direct Debit is being set up. You can close this page."
        )
