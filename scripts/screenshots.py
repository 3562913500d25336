#!/usr/bin/env python3
"""Take the README's screenshots from a running demo (`make demo` in another terminal), with
Debian's headless Chromium driven over the DevTools protocol.

    python3 scripts/screenshots.py [--url http://localhost:8069] [--db gocardless_demo]

Writes docs/screenshots/*.png. It clicks through the demo like a user (it runs a customer
sync and creates a contact), so run it on a fresh demo database.
"""

import argparse
import base64
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chrome:
    """Just enough of the DevTools protocol: navigate, evaluate, wait, capture."""

    def __init__(self, width=1440, height=900):
        names = ("chromium", "chromium-browser", "google-chrome")
        binary = next((shutil.which(name) for name in names if shutil.which(name)), None)
        if not binary:
            sys.exit("Chromium is not installed: run `make setup` first.")
        self.profile = tempfile.mkdtemp(prefix="gcs-shots-")
        port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (requests.RequestException, StopIteration, ValueError):
                time.sleep(0.1)
        else:
            sys.exit("Chromium did not start.")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if result.get("exceptionDetails"):
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                time.sleep(0.6)  # let animations and late renders settle
                return
            time.sleep(0.2)
        raise TimeoutError(f"{selector} did not appear")

    def click(self, selector):
        self.wait_for(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def click_text(self, selector, text):
        found = self.evaluate(
            f"""(() => {{
                const el = [...document.querySelectorAll({json.dumps(selector)})]
                    .find(e => e.textContent.trim().includes({json.dumps(text)}));
                if (el) {{ el.click(); return true; }}
                return false;
            }})()"""
        )
        if not found:
            raise RuntimeError(f"no {selector} with text {text!r}")

    def fill(self, selector, value):
        self.wait_for(selector)
        self.evaluate(
            f"""(() => {{
                const el = document.querySelector({json.dumps(selector)});
                el.focus(); el.value = {json.dumps(value)};
                el.dispatchEvent(new Event('input', {{bubbles: true}}));
                el.dispatchEvent(new Event('change', {{bubbles: true}}));
            }})()"""
        )

    def goto(self, url):
        self.send("Page.navigate", url=url)

    def shot(self, name):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path = OUT / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        print(f"  {path.relative_to(OUT.parent.parent)}")

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def rpc(args, model, method, params, kwargs=None):
    """One ORM call over JSON-RPC as the demo's administrator."""
    session = requests.Session()
    session.post(
        f"{args.url}/web/session/authenticate",
        json={"params": {"db": args.db, "login": args.login, "password": args.password}},
        timeout=30,
    ).raise_for_status()
    answer = session.post(
        f"{args.url}/web/dataset/call_kw",
        json={"params": {"model": model, "method": method, "args": params, "kwargs": kwargs or {}}},
        timeout=60,
    ).json()
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer["result"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="gocardless_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    chrome = Chrome()
    try:
        chrome.goto(f"{args.url}/web/login?db={args.db}")
        chrome.fill("input[name=login]", args.login)
        chrome.fill("input[name=password]", args.password)
        chrome.click("button[type=submit]")
        chrome.wait_for(".o_main_navbar")

        # the integration screen
        chrome.goto(f"{args.url}/odoo/gocardless")
        chrome.wait_for(".o_form_view .o_form_sheet")
        chrome.shot("integration_screen")

        # the sync wizard, its preview, its result
        chrome.click("button[name=action_open_customer_sync]")
        chrome.wait_for(".modal .o_form_view")
        chrome.shot("sync_wizard")
        chrome.click(".modal button[name=action_preview]")
        chrome.wait_for(".modal .o_field_one2many .o_data_row")
        chrome.shot("sync_preview")
        chrome.click(".modal button[name=action_sync]")
        chrome.wait_for(".o_form_view .o_field_one2many .o_data_row")
        chrome.shot("sync_result")

        # a linked contact's GoCardless tab
        partner_id = rpc(
            args,
            "res.partner",
            "search",
            [[("gocardless_mandate_ids.is_usable", "=", True)]],
            {"limit": 1},
        )[0]
        chrome.goto(f"{args.url}/odoo/contacts/{partner_id}")
        chrome.wait_for(".o_form_view .o_notebook")
        chrome.click_text(".o_notebook .nav-link", "GoCardless")
        chrome.wait_for(".o_notebook .tab-pane.active .o_data_row")
        chrome.evaluate("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(0.5)
        chrome.shot("partner_gocardless_tab")

        # a balance export of every linked contact, from the integration screen
        chrome.goto(f"{args.url}/odoo/gocardless")
        chrome.click("button[name=action_export_balances]")
        chrome.wait_for(".o_form_view .o_field_one2many .o_data_row")
        chrome.shot("export_batch")

        # the new-customer prompt
        chrome.goto(f"{args.url}/odoo/contacts/new")
        chrome.fill(
            ".o_field_widget[name=name] input, .o_field_widget[name=name] textarea",
            "Harbour View Cafe Ltd",
        )
        chrome.fill(".o_field_widget[name=email] input", "hello@harbourview.example")
        chrome.click(".o_form_button_save")
        chrome.wait_for(".modal .modal-footer")
        chrome.shot("new_customer_prompt")
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
