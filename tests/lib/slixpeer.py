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
    {"cmd": "pubsub_create", "to": SERVICE, "node": N, "access_model": "authorize"}
    {"cmd": "pubsub_publish", "to": SERVICE, "node": N, "id": I, "payload": "<x xmlns=.../>"}
    {"cmd": "pubsub_authorize", "to": SERVICE, "node": N, "subscriber": J, "allow": true}
    {"cmd": "pubsub_delete", "to": SERVICE, "node": N}
    {"cmd": "raw", "xml": X}                      (sent as it is)
    {"cmd": "quit"}

Group chat (XEP-0045) and bookmarks:

    {"cmd": "muc_join", "room": R, "nick": N, "password": P, "history": 0}
        joins (creating an instant room if needed, unlocked at once; with
        "config": {var: value} the new room gets that configuration, with
        "locked": true it stays locked)
    {"cmd": "muc_config", "room": R, "config": {var: value}}
    {"cmd": "groupchat", "room": R, "body": B, "id": I, "subject": S,
     "replace": I (XEP-0308), "retract": I (XEP-0424, B the fallback)}
    {"cmd": "muc_leave", "room": R, "nick": N}
    {"cmd": "muc_nick", "room": R, "nick": N}
    {"cmd": "muc_role", "room": R, "nick": N, "role": ROLE, "reason": T}
    {"cmd": "muc_affiliation", "room": R, "jid": J, "affiliation": A, "reason": T}
    {"cmd": "muc_invite", "room": R, "to": J, "reason": T, "direct": bool}
    {"cmd": "muc_destroy", "room": R, "reason": T, "alternate": J}
    {"cmd": "bookmark_publish", "room": R, "name": N, "nick": N, "autojoin": bool}
    {"cmd": "bookmark_retract", "room": R}

    {"event": "ready", "jid": J}
    {"event": "message", "from", "type", "id", "body", "html", "thread", "state",
     "receipt_request", "replace", "markable", "oob"}
    {"event": "chat_state", "from", "state"}   {"event": "receipt", "from", "id"}
    {"event": "marker", "from", "type", "id"}
    {"event": "version", "from", "name", "version", "os"}
    {"event": "disco", "from", "features": [...], "identities": [[cat, type, name], ...]}
    {"event": "pong", "from"}   {"event": "sent", "id"}   {"event": "error", "cmd", "text"}
    {"event": "muc_joined", "room", "nick"}   {"event": "done", "cmd"}
    {"event": "groupchat", "room", "nick", "body", "id", "delayed", "origin_id", "replace"}
    {"event": "muc_subject", "room", "nick", "subject"}
    {"event": "muc_presence", "room", "nick", "type", "codes", "role", "affiliation", "show"}
    {"event": "invite", "room", "from", "reason", "direct"}
    {"event": "pubsub_created" | "pubsub_published" | "pubsub_deleted", "node", "id"?}
    {"event": "pubsub_auth_request", "from", "node", "subscriber"}  (XEP-0060 §8.6: the
        service asks the node owner, us, to approve a subscription)

Plugins: XEP-0004, 0030, 0045, 0060, 0066, 0071, 0085, 0092, 0184
(auto-acks receipt requests), 0199, 0249, 0308, 0333, 0424.  Exits when standard input closes or
its parent dies.
"""

import argparse
import asyncio
import ctypes
import json
import logging
import os
import signal
import ssl
import sys

import slixmpp
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from xml.sax.saxutils import escape

NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_BOOKMARKS = "urn:xmpp:bookmarks:1"
PUBSUB = "http://jabber.org/protocol/pubsub"


def out(**ev):
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


class Peer(slixmpp.ClientXMPP):

    def __init__(self, jid, password):
        super().__init__(jid, password)
        for plugin in ("xep_0030", "xep_0066", "xep_0071", "xep_0085", "xep_0092",
                       "xep_0184", "xep_0199", "xep_0308", "xep_0333", "xep_0424",
                       "xep_0004", "xep_0045", "xep_0060", "xep_0249"):
            self.register_plugin(plugin)
        self["xep_0092"].software_name = "slixpeer"
        self["xep_0092"].version = "1.0"
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.register_handler(Callback("data form", MatchXPath(
            "{jabber:client}message/{jabber:x:data}x"), self.on_form_message))
        self.add_event_handler("chatstate", self.on_chatstate)
        self.add_event_handler("receipt_received", self.on_receipt)
        self.add_event_handler("marker", self.on_marker)
        self.add_event_handler("failed_auth", lambda _e: out(event="error", cmd="login",
                                                            text="authentication failed"))
        self.add_event_handler("groupchat_subject", self.on_subject)
        self.add_event_handler("groupchat_presence", self.on_muc_presence)
        self.add_event_handler("groupchat_invite", self.on_invite)
        self.add_event_handler("groupchat_direct_invite", self.on_direct_invite)

    async def on_start(self, _event):
        self.send_presence()
        out(event="ready", jid=self.boundjid.full)

    def on_form_message(self, msg):
        # slixmpp's "message" event is only for messages with a body.
        form = msg.xml.find("{jabber:x:data}x")
        if form is not None:
            self.on_form(msg, form)

    def on_message(self, msg):
        if msg["type"] == "groupchat":
            if msg["body"]:
                origin = msg.xml.find("{urn:xmpp:sid:0}origin-id")
                replace = msg.xml.find("{urn:xmpp:message-correct:0}replace")
                out(event="groupchat", room=msg["from"].bare, nick=msg["from"].resource,
                    body=msg["body"], id=msg["id"] or None,
                    delayed=msg.xml.find("{urn:xmpp:delay}delay") is not None,
                    origin_id=origin.get("id") if origin is not None else None,
                    replace=replace.get("id") if replace is not None else None)
            return
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

    def on_form(self, msg, form):
        """A pubsub service asking us, the node owner, to approve a
        subscription (XEP-0060 §8.6.1)."""
        values = {}
        for f in form.findall("{jabber:x:data}field"):
            v = f.find("{jabber:x:data}value")
            values[f.get("var")] = v.text if v is not None else None
        if values.get("FORM_TYPE") != PUBSUB + "#subscribe_authorization":
            return False
        out(event="pubsub_auth_request", **{"from": msg["from"].full},
            node=values.get("pubsub#node"), subscriber=values.get("pubsub#subscriber_jid"))
        return True

    def on_subject(self, msg):
        out(event="muc_subject", room=msg["from"].bare, nick=msg["from"].resource or None,
            subject=msg["subject"])

    def on_muc_presence(self, pr):
        x = pr.xml.find("{%s}x" % NS_MUC_USER)
        item = x.find("{%s}item" % NS_MUC_USER) if x is not None else None
        codes = [int(c.get("code")) for c in x.findall("{%s}status" % NS_MUC_USER)] \
            if x is not None else []
        out(event="muc_presence", room=pr["from"].bare, nick=pr["from"].resource,
            type=pr["type"] if pr["type"] in ("unavailable", "error") else "available",
            codes=codes, role=item.get("role") if item is not None else None,
            affiliation=item.get("affiliation") if item is not None else None,
            show=pr["show"] or None, new_nick=item.get("nick") if item is not None else None)

    def on_invite(self, msg):
        inv = msg.xml.find("{%s}x/{%s}invite" % (NS_MUC_USER, NS_MUC_USER))
        if inv is None:
            return
        reason = inv.find("{%s}reason" % NS_MUC_USER)
        out(event="invite", room=msg["from"].bare, **{"from": inv.get("from")},
            reason=reason.text if reason is not None else None, direct=False)

    def on_direct_invite(self, msg):
        x = msg.xml.find("{jabber:x:conference}x")
        out(event="invite", room=x.get("jid"), **{"from": msg["from"].full},
            reason=x.get("reason"), direct=True)

    async def configure(self, room, config):
        form = await self["xep_0045"].get_room_config(room, timeout=10)
        submit = self["xep_0004"].make_form(ftype="submit")
        for var, field in form.get_fields().items():
            value = config.get(var, field["value"])
            if field["type"] == "boolean" and isinstance(value, bool):
                value = "1" if value else "0"
            submit.add_field(var=var, ftype=field["type"] or None, value=value)
        await self["xep_0045"].set_room_config(room, submit, timeout=10)

    async def muc_command(self, c):
        cmd, room = c["cmd"], c.get("room")
        muc = self["xep_0045"]
        if cmd == "muc_join":
            history = c.get("history", 0)
            res = await muc.join_muc_wait(room, c["nick"], password=c.get("password") or None,
                                          maxstanzas=history, timeout=10)
            codes = res[0]["muc"]["status_codes"]  # (presence, subject, occupants, history)
            if 201 in codes and not c.get("locked"):
                if c.get("config"):
                    await self.configure(room, c["config"])
                else:
                    iq = self.make_iq_set(ito=room)
                    q = ET.SubElement(iq.xml, "{%s}query" % NS_MUC_OWNER)
                    ET.SubElement(q, "{jabber:x:data}x", {"type": "submit"})
                    await iq.send(timeout=10)
            out(event="muc_joined", room=room, nick=c["nick"])
        elif cmd == "muc_config":
            await self.configure(room, c["config"])
        elif cmd == "groupchat":
            m = self.make_message(mto=room, mbody=c.get("body"), mtype="groupchat")
            m["id"] = c.get("id") or self.new_id()
            if c.get("subject") is not None:
                m["subject"] = c["subject"]
            if c.get("replace"):
                ET.SubElement(m.xml, "{urn:xmpp:message-correct:0}replace", {"id": c["replace"]})
            if c.get("retract"):
                ET.SubElement(m.xml, "{urn:xmpp:message-retract:1}retract", {"id": c["retract"]})
            m.send()
            out(event="sent", id=m["id"])
            return
        elif cmd == "muc_leave":
            muc.leave_muc(room, c["nick"])
        elif cmd == "muc_nick":
            self.send_presence(pto="%s/%s" % (room, c["nick"]))
        elif cmd == "muc_role":
            await muc.set_role(room, c["nick"], c["role"], reason=c.get("reason") or "",
                               timeout=10)
        elif cmd == "muc_affiliation":
            await muc.set_affiliation(room, c["affiliation"], jid=c["jid"],
                                      reason=c.get("reason") or "", timeout=10)
        elif cmd == "muc_invite":
            if c.get("direct"):
                self["xep_0249"].send_invitation(c["to"], room, reason=c.get("reason"))
            else:
                muc.invite(room, c["to"], reason=c.get("reason") or "")
        elif cmd == "muc_destroy":
            await muc.destroy(room, reason=c.get("reason") or "",
                              altroom=c.get("alternate"), timeout=10)
        elif cmd == "bookmark_publish":
            conf = ET.Element("{%s}conference" % NS_BOOKMARKS,
                              {"autojoin": "true" if c.get("autojoin") else "false"})
            if c.get("name"):
                conf.set("name", c["name"])
            if c.get("nick"):
                ET.SubElement(conf, "{%s}nick" % NS_BOOKMARKS).text = c["nick"]
            opts = self["xep_0004"].make_form(ftype="submit")
            opts.add_field(var="FORM_TYPE", ftype="hidden",
                           value="http://jabber.org/protocol/pubsub#publish-options")
            opts.add_field(var="pubsub#persist_items", value="true")
            opts.add_field(var="pubsub#max_items", value="max")
            opts.add_field(var="pubsub#send_last_published_item", value="never")
            opts.add_field(var="pubsub#access_model", value="whitelist")
            await self["xep_0060"].publish(self.boundjid.bare, NS_BOOKMARKS, id=room,
                                           payload=conf, options=opts, timeout=10)
        elif cmd == "bookmark_retract":
            await self["xep_0060"].retract(self.boundjid.bare, NS_BOOKMARKS, room, notify=True,
                                           timeout=10)
        out(event="done", cmd=cmd, room=room)

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
            elif cmd == "pubsub_create":
                form = self["xep_0004"].make_form(ftype="submit")
                form.add_field(var="FORM_TYPE", ftype="hidden", value=PUBSUB + "#node_config")
                form.add_field(var="pubsub#access_model", value=c.get("access_model", "open"))
                if c.get("node_type"):
                    form.add_field(var="pubsub#node_type", value=c["node_type"])
                await self["xep_0060"].create_node(c["to"], c["node"], config=form, timeout=10)
                out(event="pubsub_created", node=c["node"])
            elif cmd == "pubsub_publish":
                payload = ET.fromstring(c["payload"]) if c.get("payload") else None
                r = await self["xep_0060"].publish(c["to"], c["node"], id=c.get("id"),
                                                   payload=payload, timeout=10)
                item = r.xml.find(".//{%s}item" % PUBSUB)
                out(event="pubsub_published", node=c["node"],
                    id=item.get("id") if item is not None else c.get("id"))
            elif cmd == "pubsub_authorize":
                m = self.make_message(mto=c["to"])
                m.xml.append(ET.fromstring(
                    "<x xmlns='jabber:x:data' type='submit'>"
                    "<field var='FORM_TYPE' type='hidden'><value>%s#subscribe_authorization"
                    "</value></field><field var='pubsub#node'><value>%s</value></field>"
                    "<field var='pubsub#subscriber_jid'><value>%s</value></field>"
                    "<field var='pubsub#allow'><value>%s</value></field></x>" % (
                        PUBSUB, escape(c["node"]), escape(c["subscriber"]),
                        "true" if c.get("allow", True) else "false")))
                m.send()
                out(event="sent", id=m["id"])
            elif cmd == "pubsub_delete":
                await self["xep_0060"].delete_node(c["to"], c["node"], timeout=10)
                out(event="pubsub_deleted", node=c["node"])
            elif cmd == "raw":
                self.send_raw(c["xml"])
                out(event="sent", id=None)
            elif cmd.startswith("muc_") or cmd in ("groupchat", "bookmark_publish",
                                                   "bookmark_retract"):
                await self.muc_command(c)
            elif cmd == "quit":
                self.disconnect()
            else:
                out(event="error", cmd=cmd, text="unknown command")
        except Exception as e:  # report, keep serving
            out(event="error", cmd=cmd, text="%s: %s" % (type(e).__name__, e))


def serve(peer, args):
    """Connects peer (TLS verified against args.cafile) and serves its
    JSON commands from standard input until it closes, "quit" or a signal;
    peer.run_command(c) runs each.  Shared with omemopeer.py."""
    ctx = ssl.create_default_context()
    if args.cafile:
        ctx.load_verify_locations(cafile=args.cafile)
    peer.ssl_context = ctx
    loop = asyncio.get_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    pending = bytearray()

    def on_stdin():
        # Raw reads: a buffered readline() would keep the lines after the
        # first of a burst where the event loop never looks again.
        data = os.read(0, 65536)
        if not data:
            loop.remove_reader(0)
            stop.set()
            return
        pending.extend(data)
        while b"\n" in pending:
            raw, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            line = raw.decode("utf-8", "replace")
            try:
                c = json.loads(line)
            except ValueError:
                out(event="error", cmd=None, text="not JSON: " + line.strip())
                continue
            if c.get("cmd") == "quit":
                stop.set()
                return
            asyncio.ensure_future(peer.run_command(c))
    loop.add_reader(0, on_stdin)
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


def arguments(description):
    """The command line both peers take (and dies with its parent)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--cafile")
    ap.add_argument("--debug", action="store_true")
    return ap


def main():
    args = arguments("scriptable slixmpp peer").parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    return serve(Peer(args.jid, args.password), args)


if __name__ == "__main__":
    sys.exit(main())
