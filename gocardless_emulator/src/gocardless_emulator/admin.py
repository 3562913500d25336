"""Admin endpoints under ``/__emulator__/`` (no token needed; JSON in and out)."""

from __future__ import annotations

import json
import re

PREFIX = "/__emulator__"
_SEED_ARGS = ("email", "mandate_status", "scheme", "start")


class AdminError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _json(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise AdminError(400, "body must be JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def dispatch(emu, method: str, path: str, raw: bytes) -> tuple[int, dict]:
    try:
        return 200, _dispatch(emu, method, path[len(PREFIX) :].rstrip("/"), raw)
    except AdminError as error:
        return error.status, {"error": str(error)}
    except KeyError as error:
        return 404, {"error": str(error.args[0] if error.args else error)}
    except (TypeError, ValueError) as error:
        return 400, {"error": str(error)}


def _dispatch(emu, method: str, path: str, raw: bytes) -> dict:
    if method == "GET" and path == "/state":
        state = emu.counts()
        state.update(
            {
                "base_url": emu.base_url,
                "access_token": emu.access_token,
                "creditor": emu.creditor["id"],
                "faults": [vars(fault) for fault in emu.pending_faults()],
                "requests": len(emu.requests),
                "webhook_target": emu.webhook_target[0] if emu.webhook_target else None,
            }
        )
        return state
    if method != "POST" and not (method == "DELETE" and path == "/faults"):
        raise AdminError(405, f"{method} {PREFIX}{path} is not supported")
    data = _json(raw)
    if path == "/reset":
        emu.reset()
        return {"ok": True}
    if path == "/seed":
        if data.get("preset") == "demo":
            return emu.seed_demo()
        if "customers" in data:
            args = {key: data[key] for key in data if key != "customers"}
            created = emu.seed_customers(int(data["customers"]), **args)
            return {
                "created": len(created),
                "first_id": created[0]["id"] if created else None,
                "last_id": created[-1]["id"] if created else None,
            }
        raise AdminError(400, 'use {"preset": "demo"} or {"customers": N, ...}')
    if path == "/faults":
        if method == "DELETE":
            emu.clear_faults()
            return {"faults": 0}
        fields = ("kind", "times", "skip", "method", "path", "delay")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise AdminError(400, f"unknown fault field(s): {', '.join(unknown)}")
        emu.inject_fault(**data)
        return {"faults": len(emu.pending_faults())}
    if path == "/payouts" and "currency" in data:
        return {"payouts": emu.pay_out(**data)}
    match = re.fullmatch(r"/(mandates|payments|payouts|refunds)/([^/]+)/([a-z_]+)", path)
    if match:
        kind, resource_id, action = match.groups()
        method_for = {
            "mandates": emu.mandate_action,
            "payments": emu.payment_action,
            "payouts": emu.payout_action,
            "refunds": emu.refund_action,
        }[kind]
        events = method_for(resource_id, action)
        with emu.state.lock:
            resource = json.loads(json.dumps(emu.state.get(kind, resource_id)))
        return {kind: resource, "events": events}
    raise AdminError(404, f"no admin endpoint {method} {PREFIX}{path}")
