#!/usr/bin/python3
"""A scriptable slixmpp client: the independent peer of the interop tests.

    slixpeer.py --jid carol@localhost/slix --password PW --port 5222 --cafile CA.crt

Reads commands from standard input, one JSON object a line, and writes what
happens to standard output, one JSON object a line (key "event"):

    {"cmd": "msg", "to": J, "body": T, "type": "chat", "html": "<p>..</p>",
     "receipt": true, "state": "active", "thread": T, "id": I,
     "replace": I (XEP-0308), "markable": true (XEP-0333), "oob": URL (XEP-0066)}
    {"cmd": "state", "to": J, "state": "composing"}
    {"cmd": "marker", "to": J, "type": "received"|"displayed", "id": I}
    {"cmd": "retract", "to": J, "id": I}          (XEP-0424, with its fallback body)
    {"cmd": "version" | "disco" | "ping", "to": J}
    {"cmd": "subscribe", "to": J}
    {"cmd": "quit"}

    {"event": "ready", "jid": J}
    {"event": "message", "from", "type", "id", "body", "html", "thread", "state",
     "receipt_request", "replace", "markable", "oob"}
    {"event": "chat_state", "from", "state"}   {"event": "receipt", "from", "id"}
    {"event": "marker", "from", "type", "id"}
    {"event": "version", "from", "name", "version", "os"}
    {"event": "disco", "from", "features": [...], "identities": [[cat, type, name], ...]}
    {"event": "pong", "from"}   {"event": "sent", "id"}   {"event": "error", "cmd", "text"}

Plugins: XEP-0030, 0066, 0071, 0085, 0092, 0184 (auto-acks receipt
requests), 0199, 0308, 0333, 0424.  Exits when standard input closes or
its parent dies.
"""

import argparse
import asyncio
import ctypes
import json
import logging
import signal
import ssl
import sys

import slixmpp


def out(**ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


class Peer(slixmpp.ClientXMPP):

    def __init__(self, jid, password):
        super().__init__(jid, password)
        for plugin in ("xep_0030", "xep_0066", "xep_0071", "xep_0085", "xep_0092",
                       "xep_0184", "xep_0199", "xep_0308", "xep_0333", "xep_0424"):
            self.register_plugin(plugin)
        self["xep_0092"].software_name = "slixpeer"
        self["xep_0092"].version = "1.0"
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("chatstate", self.on_chatstate)
        self.add_event_handler("receipt_received", self.on_receipt)
        self.add_event_handler("marker", self.on_marker)
        self.add_event_handler("failed_auth", lambda _e: out(event="error", cmd="login",
                                                            text="authentication failed"))

    async def on_start(self, _event):
        self.send_presence()
        out(event="ready", jid=self.boundjid.full)

    def on_message(self, msg):
        state = msg["chat_state"] if msg.xml.find(
            "{http://jabber.org/protocol/chatstates}*") is not None else None
        html = None
        if msg.xml.find("{http://jabber.org/protocol/xhtml-im}html") is not None:
            html = msg["html"]["body"]
        request = msg.xml.find("{urn:xmpp:receipts}request") is not None
        replace = msg.xml.find("{urn:xmpp:message-correct:0}replace")
        oob = msg.xml.find("{jabber:x:oob}x")
        if not msg["body"] and not html:
            return  # chat states, receipts and markers have their own events
        out(event="message", **{"from": msg["from"].full}, type=msg["type"], id=msg["id"],
            body=msg["body"], html=html, thread=msg["thread"] or None, state=state,
            receipt_request=request,
            replace=replace.get("id") if replace is not None else None,
            markable=msg.xml.find("{urn:xmpp:chat-markers:0}markable") is not None,
            oob=oob.findtext("{jabber:x:oob}url") if oob is not None else None)

    def on_marker(self, msg):
        for kind in ("received", "displayed", "acknowledged"):
            el = msg.xml.find("{urn:xmpp:chat-markers:0}%s" % kind)
            if el is not None:
                out(event="marker", **{"from": msg["from"].full}, type=kind, id=el.get("id"))

    def on_chatstate(self, msg):
        out(event="chat_state", **{"from": msg["from"].full}, state=msg["chat_state"])

    def on_receipt(self, msg):
        out(event="receipt", **{"from": msg["from"].full}, id=msg["receipt"])

    async def run_command(self, c):
        cmd = c.get("cmd")
        try:
            if cmd == "msg":
                m = self.make_message(mto=c["to"], mbody=c.get("body"),
                                      mtype=c.get("type", "chat"))
                if c.get("id"):
                    m["id"] = c["id"]
                elif not m["id"]:
                    m["id"] = self.new_id()
                if c.get("html"):
                    m["html"]["body"] = c["html"]
                if c.get("receipt"):
                    m["request_receipt"] = True
                if c.get("state"):
                    m["chat_state"] = c["state"]
                if c.get("thread"):
                    m["thread"] = c["thread"]
                if c.get("replace"):
                    m["replace"]["id"] = c["replace"]
                if c.get("markable"):
                    m.enable("markable")
                if c.get("oob"):
                    m["oob"]["url"] = c["oob"]
                m.send()
                out(event="sent", id=m["id"])
            elif cmd == "marker":
                self["xep_0333"].send_marker(c["to"], c["id"], c["type"])
                out(event="sent", id=c["id"])
            elif cmd == "retract":
                self["xep_0424"].send_retraction(c["to"], c["id"])
                out(event="sent", id=c["id"])
            elif cmd == "state":
                m = self.make_message(mto=c["to"], mtype="chat")
                m["chat_state"] = c["state"]
                m.send()
                out(event="sent", id=m["id"])
            elif cmd == "version":
                r = await self["xep_0092"].get_version(c["to"], timeout=10)
                v = r["software_version"]
                out(event="version", **{"from": r["from"].full}, name=v["name"],
                    version=v["version"], os=v["os"] or None)
            elif cmd == "disco":
                r = await self["xep_0030"].get_info(jid=c["to"], timeout=10)
                info = r["disco_info"]
                out(event="disco", **{"from": r["from"].full},
                    features=list(info["features"]),
                    identities=[list(i[:3]) for i in info["identities"]])
            elif cmd == "ping":
                await self["xep_0199"].ping(c["to"], timeout=10)
                out(event="pong", **{"from": c["to"]})
            elif cmd == "subscribe":
                # Ask to see c["to"]'s presence (slixmpp accepts theirs).
                self.send_presence(pto=c["to"], ptype="subscribe")
                out(event="sent", id=None)
            elif cmd == "quit":
                self.disconnect()
            else:
                out(event="error", cmd=cmd, text="unknown command")
        except Exception as e:  # report, keep serving
            out(event="error", cmd=cmd, text="%s: %s" % (type(e).__name__, e))


def main():
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    ap = argparse.ArgumentParser(description="scriptable slixmpp peer")
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--cafile")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    peer = Peer(args.jid, args.password)
    ctx = ssl.create_default_context()
    if args.cafile:
        ctx.load_verify_locations(cafile=args.cafile)
    peer.ssl_context = ctx
    loop = asyncio.get_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def on_stdin():
        line = sys.stdin.readline()
        if not line:
            loop.remove_reader(sys.stdin)
            stop.set()
            return
        try:
            c = json.loads(line)
        except ValueError:
            out(event="error", cmd=None, text="not JSON: " + line.strip())
            return
        if c.get("cmd") == "quit":
            stop.set()
            return
        asyncio.ensure_future(peer.run_command(c))
    loop.add_reader(sys.stdin, on_stdin)
    peer.connect(address=(args.host, args.port), force_starttls=True)

    async def until_stopped():
        await stop.wait()
        peer.cancel_connection_attempt()
        try:
            await asyncio.wait_for(peer.disconnect(wait=1), 3)
        except Exception:
            pass
    loop.run_until_complete(until_stopped())
    return 0


if __name__ == "__main__":
    sys.exit(main())
