"""Admin endpoints under /__emulator__/ and ``python3 -m gocardless_emulator``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import gocardless_pro
import pytest
import requests
from gocardless_pro import errors

import gocardless_emulator
from gocardless_emulator.demo import demo_customers


def admin(emu, method, path, json=None):
    response = requests.request(method, f"{emu.base_url}/__emulator__{path}", json=json, timeout=10)
    assert response.headers["Content-Type"] == "application/json"
    return response


def test_admin_seed_state_reset(gcemu, gcemu_client):
    state = admin(gcemu, "GET", "/state").json()
    assert state["customers"] == 0
    assert state["access_token"] == gcemu.access_token

    summary = admin(gcemu, "POST", "/seed", {"preset": "demo"}).json()
    assert summary["customers"] == len(demo_customers())
    seeded = admin(
        gcemu, "POST", "/seed", {"customers": 3, "mandate_status": None, "start": 900}
    ).json()
    assert seeded["created"] == 3
    assert gcemu.customers[seeded["last_id"]]["email"] == "customer902@example.com"
    state = admin(gcemu, "GET", "/state").json()
    assert state["customers"] == summary["customers"] + 3
    assert state["mandates_by_status"]["active"] > 0

    assert admin(gcemu, "POST", "/reset").json() == {"ok": True}
    assert admin(gcemu, "GET", "/state").json()["customers"] == 0
    assert gcemu_client.customers.list().records == []


def test_admin_lifecycle_actions(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"], status="pending_submission")
    payment = gcemu.add_payment(mandate["id"], 1500)
    body = admin(gcemu, "POST", f"/mandates/{mandate['id']}/submitted").json()
    assert body["mandates"]["status"] == "submitted"
    assert body["events"][0]["action"] == "submitted"
    body = admin(gcemu, "POST", f"/payments/{payment['id']}/paid_out").json()
    assert body["payments"]["links"]["payout"]
    assert gcemu_client.payments.get(payment["id"]).status == "paid_out"
    payout_id = body["payments"]["links"]["payout"]
    assert admin(gcemu, "POST", f"/payouts/{payout_id}/paid").json()["payouts"]["status"] == "paid"

    assert admin(gcemu, "POST", f"/mandates/{mandate['id']}/dance").status_code == 400
    assert admin(gcemu, "POST", "/mandates/MD404/cancelled").status_code == 404
    assert admin(gcemu, "POST", "/nothing").status_code == 404


def test_admin_faults(gcemu, gcemu_client):
    response = admin(
        gcemu, "POST", "/faults", {"kind": "server_error", "method": "GET", "path": "/mandates"}
    )
    assert response.json() == {"faults": 1}
    assert gcemu_client.customers.list().records == []
    with pytest.raises(errors.GoCardlessInternalError):
        gcemu_client.mandates.list()
    assert admin(gcemu, "POST", "/faults", {"kind": "nope"}).status_code == 400
    admin(gcemu, "POST", "/faults", {"kind": "drop", "times": 3})
    assert admin(gcemu, "DELETE", "/faults").json() == {"faults": 0}
    assert gcemu_client.mandates.list().records == []


def test_admin_payout_and_refund_actions(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    payment = gcemu.add_payment(mandate["id"], 2000, status="confirmed")
    payout = admin(gcemu, "POST", "/payouts", {"currency": "GBP"}).json()["payouts"]
    assert payout["status"] == "paid"
    assert gcemu_client.payments.get(payment["id"]).links.payout == payout["id"]
    refund = gcemu_client.refunds.create(
        params={
            "amount": 500,
            "total_amount_confirmation": 500,
            "links": {"payment": payment["id"]},
        }
    )
    body = admin(gcemu, "POST", f"/refunds/{refund.id}/paid").json()
    assert (body["refunds"]["status"], body["events"][0]["action"]) == ("paid", "paid")
    assert admin(gcemu, "POST", "/payouts", {"currency": "EUR"}).status_code == 400


def test_removed_admin_endpoints_answer_404(gcemu):
    assert admin(gcemu, "POST", "/webhooks", {"url": "http://x", "secret": "s"}).status_code == 404
    assert admin(gcemu, "POST", "/faults/clear").status_code == 404


def test_admin_needs_no_token_and_is_not_logged_or_faulted(gcemu):
    gcemu.inject_fault("server_error", times=5)
    assert admin(gcemu, "GET", "/state").status_code == 200
    assert gcemu.requests == []
    assert len(gcemu.pending_faults()) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_command_line_serves_the_demo_and_stops_on_ctrl_c():
    port = _free_port()
    src = str(Path(gocardless_emulator.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gocardless_emulator",
            "--port",
            str(port),
            "--seed",
            "demo",
            "--token",
            "cli-token",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.strip() == f"GoCardless emulator listening on http://127.0.0.1:{port}"
        assert process.stdout.readline().strip() == "Access token: cli-token"
        client = gocardless_pro.Client("cli-token", base_url=f"http://127.0.0.1:{port}")
        page = client.customers.list()
        assert len(page.records) == 50
        assert page.records[0].metadata == {"demo_key": "demo-300"}  # newest first
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "GoCardless emulator stopped" in out
        assert "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_command_line_terminates_cleanly_and_seed_none():
    port = _free_port()
    src = str(Path(gocardless_emulator.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "gocardless_emulator", "--port", str(port), "--seed", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert "listening" in process.stdout.readline()
        client = gocardless_pro.Client("emulator-token", base_url=f"http://127.0.0.1:{port}")
        assert client.customers.list().records == []
        started = time.monotonic()
        process.terminate()
        process.communicate(timeout=10)
        assert process.returncode == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
