"""``python3 -m gocardless_emulator``: run the emulator alone in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .emulator import Emulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m gocardless_emulator",
        description="Serve a local fake of the GoCardless Pro API until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010, help="0 picks a free port")
    parser.add_argument("--seed", choices=("demo", "none"), default="demo")
    parser.add_argument("--token", default="emulator-token", help="the access token to accept")
    parser.add_argument("--creditor-name", default="Emulated Creditor Ltd")
    parser.add_argument(
        "--rate-limit", type=int, default=1000, help="requests a minute; 0 disables the limit"
    )
    parser.add_argument("--webhook-url", help="deliver every new event to this URL at once")
    parser.add_argument("--webhook-secret", help="secret used to sign webhooks")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        print("--webhook-url and --webhook-secret go together", file=sys.stderr)
        return 2
    emu = Emulator(
        access_token=args.token,
        creditor_name=args.creditor_name,
        rate_limit=args.rate_limit or None,
    )
    if args.seed == "demo":
        summary = emu.seed_demo()
    else:
        summary = emu.counts()
    if args.webhook_url:
        emu.webhook_target = (args.webhook_url, args.webhook_secret)
    emu.start(host=args.host, port=args.port)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    print(f"GoCardless emulator listening on {emu.base_url}", flush=True)
    print(f"Access token: {emu.access_token}", flush=True)
    print(
        f"Seed: {args.seed} ({summary['customers']} customers, {summary['mandates']} mandates, "
        f"{summary['payments']} payments). Admin: {emu.base_url}/__emulator__/state",
        flush=True,
    )
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        print("GoCardless emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
