#!/usr/bin/python3
"""An XMPP echo bot (slixmpp): the demo peer of scripts/quickstart and a
second, independent client implementation for interoperability tests.

    echobot.py --jid friend@localhost --password PW --host 127.0.0.1 --port 5222 \
               [--cafile CA.crt] [--direct-tls]

Logs in (STARTTLS verified against --cafile when given, else the system
store), accepts every subscription request and subscribes back, and answers
every chat or normal message that has a body with "echo: <body>".  Prints
"ready <full jid>" once online; stops on SIGTERM/SIGINT or when the process
that started it dies.
"""

import argparse
import asyncio
import ctypes
import logging
import signal
import ssl
import sys

import slixmpp


class EchoBot(slixmpp.ClientXMPP):
    """Log in, accept subscriptions, echo messages."""

    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.roster.auto_authorize = True
        self.roster.auto_subscribe = True
        for plugin in ("xep_0030", "xep_0092", "xep_0199"):
            self.register_plugin(plugin)
        self["xep_0092"].software_name = "natter-echobot"
        self["xep_0092"].version = "1"
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", self.on_failed_auth)

    async def on_start(self, _event):
        self.send_presence(pstatus="I echo what you say")
        try:
            await self.get_roster(timeout=10)
        except Exception as e:  # the bot works without its roster
            print("roster: %s" % e, flush=True)
        print("ready %s" % self.boundjid.full, flush=True)

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            msg.reply("echo: %s" % msg["body"]).send()

    def on_failed_auth(self, _event):
        print("authentication failed for %s" % self.boundjid.bare, file=sys.stderr, flush=True)
        self.disconnect()
        asyncio.get_event_loop().call_later(0.5, sys.exit, 1)


def exit_with_parent():
    """Get SIGTERM when the process that started the bot dies, so a crashed
    test or demo script never leaves a bot behind."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main():
    exit_with_parent()
    ap = argparse.ArgumentParser(description="XMPP echo bot (slixmpp)")
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--cafile", help="extra CA to verify the server certificate")
    ap.add_argument("--direct-tls", action="store_true", help="TLS from the first byte")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(message)s")

    bot = EchoBot(args.jid, args.password)
    ctx = ssl.create_default_context()
    if args.cafile:
        ctx.load_verify_locations(cafile=args.cafile)
    bot.ssl_context = ctx
    loop = asyncio.get_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot.connect(address=(args.host, args.port), use_ssl=args.direct_tls,
                force_starttls=not args.direct_tls)

    async def until_stopped():
        await stop.wait()
        bot.cancel_connection_attempt()
        try:
            await asyncio.wait_for(bot.disconnect(wait=1), 3)
        except Exception:  # already gone, or the server does not answer
            pass
    loop.run_until_complete(until_stopped())
    return 0


if __name__ == "__main__":
    sys.exit(main())
