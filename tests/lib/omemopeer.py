#!/usr/bin/python3
"""An independent OMEMO peer for the interop tests: slixmpp for XMPP,
python-omemo with its oldmemo backend (namespace eu.siacs.conversations.axolotl,
what Conversations, Dino, Gajim and Profanity speak) for the encryption.
Neither shares a line of code with natter.

    omemopeer.py --jid carol@localhost/omemo --password PW --port 5222 \
                 --cafile CA.crt --store DIR/carol.json [--manual]

Its OMEMO state (identity, device id, sessions, trust) lives in the JSON
file given with --store, so a restart keeps the same device.  Commands on
standard input, one JSON object a line; events on standard output, one
JSON object a line (key "event"):

    {"cmd": "msg", "to": J, "body": T}          encrypted (to J's and our other devices)
    {"cmd": "plain", "to": J, "body": T}        unencrypted
    {"cmd": "corrupt", "to": J, "body": T}      encrypted, with the key for J's devices damaged
    {"cmd": "devices", "jid": J}                {"event": "devices", "jid", "devices": [{id, fingerprint, trust}]}
    {"cmd": "trust" | "distrust", "jid": J, "fingerprint": F}
    {"cmd": "subscribe", "to": J}               presence subscription request
    {"cmd": "muc_join" | "muc_affiliation" | "groupchat" | ...}  as slixpeer.py does them
    {"cmd": "groupmsg", "room": R, "body": T}   encrypted to the devices of every occupant
                                                whose real JID the room shows (and ours)
    {"cmd": "quit"}

    {"event": "ready", "jid", "device_id", "fingerprint"}
    {"event": "message", "from", "to", "body", "encrypted": bool, "device_id"?, "carbon"?: "sent"|"received"}
    {"event": "groupchat", "room", "nick", "body", "encrypted": bool, "device_id"?}
                               (not our own messages the room sends back)
    {"event": "muc_joined", "room", "nick"}   {"event": "done", "cmd"}
    {"event": "key_transport", "from", "device_id"}   an encrypted message without payload
    {"event": "undecryptable", "from", "error"}
    {"event": "sent", "id"}    {"event": "error", "cmd", "text"}

Fingerprints are eight groups of eight lowercase hex digits, as python-omemo
formats them.  Exits when standard input closes or its parent dies.
"""

import asyncio
import base64
import json
import logging
import os
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.plugins.xep_0004 import Form
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

import omemo
import oldmemo
import oldmemo.etree
from omemo.storage import Just, Nothing, Storage
from omemo.types import TrustLevel

import slixpeer
from slixpeer import out

NS = oldmemo.oldmemo.NAMESPACE
NODE_DEVICES = NS + ".devicelist"
NODE_BUNDLES = NS + ".bundles:"
NS_EME = "urn:xmpp:eme:0"
NS_HINTS = "urn:xmpp:hints"
FALLBACK = "This is an OMEMO encrypted message (omemopeer)."


class FileStorage(Storage):
    """python-omemo's storage in one JSON file, written on every change."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.data = {}
        if os.path.exists(path):
            with open(path) as f:
                self.data = json.load(f)

    def _flush(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f)
        os.replace(tmp, self.path)

    async def _load(self, key):
        return Just(self.data[key]) if key in self.data else Nothing()

    async def _store(self, key, value):
        self.data[key] = value
        self._flush()

    async def _delete(self, key):
        self.data.pop(key, None)
        self._flush()


def fingerprint(identity_key):
    return " ".join(omemo.SessionManager.format_identity_key(identity_key))


def hexfp(text):
    return "".join(c for c in text.lower() if c in "0123456789abcdef")


class Manager(omemo.SessionManager):
    """The XMPP side of python-omemo, over the client in CLIENT."""

    CLIENT = None
    MANUAL = False

    @staticmethod
    async def _upload_bundle(bundle):
        c = Manager.CLIENT
        elt = oldmemo.etree.serialize_bundle(bundle)
        await c.publish_open(NODE_BUNDLES + str(bundle.device_id), elt)

    @staticmethod
    async def _download_bundle(namespace, bare_jid, device_id):
        c = Manager.CLIENT
        try:
            items = await c["xep_0060"].get_items(bare_jid, NODE_BUNDLES + str(device_id),
                                                  timeout=10)
        except slixmpp.exceptions.IqError as e:
            raise omemo.BundleNotFound(str(e))
        except Exception as e:
            raise omemo.BundleDownloadFailed(str(e))
        for item in items["pubsub"]["items"]:
            elt = item.xml.find("{%s}bundle" % NS)
            if elt is not None:
                return oldmemo.etree.parse_bundle(elt, bare_jid, device_id)
        raise omemo.BundleNotFound("no bundle item")

    @staticmethod
    async def _delete_bundle(namespace, device_id):
        pass

    @staticmethod
    async def _upload_device_list(namespace, device_list):
        c = Manager.CLIENT
        await c.publish_open(NODE_DEVICES, oldmemo.etree.serialize_device_list(device_list))

    @staticmethod
    async def _download_device_list(namespace, bare_jid):
        c = Manager.CLIENT
        try:
            items = await c["xep_0060"].get_items(bare_jid, NODE_DEVICES, timeout=10)
        except slixmpp.exceptions.IqError:
            return {}
        except Exception as e:
            raise omemo.DeviceListDownloadFailed(str(e))
        for item in items["pubsub"]["items"]:
            elt = item.xml.find("{%s}list" % NS)
            if elt is not None:
                return oldmemo.etree.parse_device_list(elt)
        return {}

    async def _evaluate_custom_trust_level(self, device):
        return {"blind": TrustLevel.TRUSTED, "verified": TrustLevel.TRUSTED,
                "undecided": TrustLevel.UNDECIDED,
                "distrusted": TrustLevel.DISTRUSTED}[device.trust_level_name]

    async def _make_trust_decision(self, undecided, identifier):
        for d in undecided:
            await self.set_trust(d.bare_jid, d.identity_key,
                                 "undecided" if Manager.MANUAL else "blind")

    @staticmethod
    async def _send_message(message, bare_jid):
        Manager.CLIENT.send_encrypted(bare_jid, message, None)


class Peer(slixmpp.ClientXMPP):

    def __init__(self, jid, password, store, manual):
        super().__init__(jid, password)
        for plugin in ("xep_0004", "xep_0030", "xep_0045", "xep_0060", "xep_0115", "xep_0163",
                       "xep_0280", "xep_0334"):
            self.register_plugin(plugin)
        self.store = store
        self.manual = manual
        self.sm = None
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        # slixmpp's "message" event needs a <body/>: key transport messages have none.
        self.register_handler(Callback("OMEMO key transport", MatchXPath(
            "{jabber:client}message/{%s}encrypted" % NS), self.on_bodyless))
        self.add_event_handler("carbon_received", lambda m: self.on_carbon(m, "received"))
        self.add_event_handler("carbon_sent", lambda m: self.on_carbon(m, "sent"))
        self.add_event_handler("pubsub_publish", self.on_publish)
        self.add_event_handler("failed_auth", lambda _e: out(event="error", cmd="login",
                                                            text="authentication failed"))

    async def publish_open(self, node, elt):
        form = Form()
        form["type"] = "submit"
        form.add_field(var="FORM_TYPE", ftype="hidden",
                       value="http://jabber.org/protocol/pubsub#publish-options")
        form.add_field(var="pubsub#access_model", value="open")
        await self["xep_0060"].publish(self.boundjid.bare, node, id="current", payload=elt,
                                       options=form, timeout=10)

    async def on_start(self, _event):
        self["xep_0163"].add_interest(NODE_DEVICES)
        await self["xep_0115"].update_caps()
        self.send_presence()
        await self["xep_0280"].enable()
        Manager.CLIENT = self
        Manager.MANUAL = self.manual
        storage = FileStorage(self.store)
        self.sm = await Manager.create([oldmemo.Oldmemo(storage)], storage, self.boundjid.bare,
                                       None, "undecided" if self.manual else "blind")
        await self.sm.after_history_sync()
        own, _ = await self.sm.get_own_device_information()
        out(event="ready", jid=self.boundjid.full, device_id=own.device_id,
            fingerprint=fingerprint(own.identity_key))

    def on_publish(self, msg):
        items = msg["pubsub_event"]["items"]
        if items["node"] != NODE_DEVICES or self.sm is None:
            return
        # Not "for item in items": slixmpp is iterating that very stanza
        # object, and a nested iteration resets its index (an endless loop).
        for elt in msg.xml.iter("{%s}list" % NS):
            asyncio.ensure_future(self.sm.update_device_list(
                NS, msg["from"].bare, oldmemo.etree.parse_device_list(elt)))

    # Joining, configuring and administering rooms: slixpeer.py's own.
    configure = slixpeer.Peer.configure
    muc_command = slixpeer.Peer.muc_command

    def real_jid(self, occupant):
        """The real bare JID the room shows for occupant (room@service/nick), or None."""
        jid = self["xep_0045"].get_jid_property(occupant.bare, occupant.resource, "jid")
        return slixmpp.JID(jid).bare if jid else None

    def on_message(self, msg):
        if msg["type"] == "groupchat":
            if msg.xml.find("{%s}encrypted" % NS) is not None or msg["body"]:
                asyncio.ensure_future(self.receive_group(msg))
            return
        if msg["type"] not in ("chat", "normal"):
            return
        if msg.xml.find("{urn:xmpp:carbons:2}received") is not None or \
                msg.xml.find("{urn:xmpp:carbons:2}sent") is not None:
            return  # the carbon events take these
        asyncio.ensure_future(self.receive(msg, None))

    def on_bodyless(self, msg):
        if not msg["body"] and msg["type"] in ("chat", "normal"):
            asyncio.ensure_future(self.receive(msg, None))

    def on_carbon(self, msg, kind):
        inner = msg["carbon_%s" % kind]
        asyncio.ensure_future(self.receive(inner, kind))

    async def receive(self, msg, carbon):
        enc = msg.xml.find("{%s}encrypted" % NS)
        extra = {"carbon": carbon} if carbon else {}
        if enc is None:
            if msg["body"]:
                out(event="message", **{"from": msg["from"].full}, to=msg["to"].full,
                    body=msg["body"], encrypted=False, **extra)
            return
        if self.sm is None:
            out(event="undecryptable", **{"from": msg["from"].full}, error="not ready")
            return
        try:
            message = await oldmemo.etree.parse_message(enc, msg["from"].bare,
                                                        self.boundjid.bare, self.sm)
            plaintext, device, _ = await self.sm.decrypt(message)
        except Exception as e:
            out(event="undecryptable", **{"from": msg["from"].full},
                error="%s: %s" % (type(e).__name__, e), **extra)
            return
        if plaintext is None:
            out(event="key_transport", **{"from": msg["from"].full}, device_id=device.device_id)
            return
        out(event="message", **{"from": msg["from"].full}, to=msg["to"].full,
            body=plaintext.decode("utf-8"), encrypted=True, device_id=device.device_id,
            fallback=msg["body"], eme=msg.xml.find("{%s}encryption" % NS_EME) is not None,
            hint=msg.xml.find("{%s}store" % NS_HINTS) is not None, **extra)

    async def receive_group(self, msg):
        room, nick = msg["from"].bare, msg["from"].resource
        sender = self.real_jid(msg["from"])
        if sender == self.boundjid.bare:
            return  # our own, sent back by the room
        enc = msg.xml.find("{%s}encrypted" % NS)
        if enc is None:
            out(event="groupchat", room=room, nick=nick, body=msg["body"], encrypted=False)
            return
        try:
            if sender is None:
                raise ValueError("the room does not show the sender's real JID")
            message = await oldmemo.etree.parse_message(enc, sender, self.boundjid.bare,
                                                        self.sm)
            plaintext, device, _ = await self.sm.decrypt(message)
        except Exception as e:
            out(event="undecryptable", **{"from": msg["from"].full},
                error="%s: %s" % (type(e).__name__, e))
            return
        if plaintext is not None:
            out(event="groupchat", room=room, nick=nick, body=plaintext.decode("utf-8"),
                encrypted=True, device_id=device.device_id, fallback=msg["body"])

    async def send_group(self, room, body):
        muc = self["xep_0045"]
        members = {self.real_jid(slixmpp.JID("%s/%s" % (room, nick)))
                   for nick in muc.get_roster(room)} - {None}
        for jid in members:
            await self.sm.refresh_device_list(NS, jid)
        messages, errors = await self.sm.encrypt(frozenset(members),
                                                 {NS: body.encode("utf-8")})
        for e in errors:
            logging.warning("encryption error: %s", e)
        message = messages[0] if isinstance(messages, list) else next(iter(messages))
        return self.send_encrypted(room, message, FALLBACK, mtype="groupchat")

    def send_encrypted(self, bare_jid, message, body, mid=None, mtype="chat"):
        m = self.make_message(mto=bare_jid, mtype=mtype)
        m["id"] = mid or self.new_id()
        m.append(oldmemo.etree.serialize_message(message))
        eme = ET.SubElement(m.xml, "{%s}encryption" % NS_EME)
        eme.set("namespace", NS)
        eme.set("name", "OMEMO")
        ET.SubElement(m.xml, "{%s}store" % NS_HINTS)
        if body is not None:
            m["body"] = body
        m.send()
        return m["id"]

    async def encrypt(self, to, body):
        # Device lists come by PEP only from subscribed contacts: ask.
        await self.sm.refresh_device_list(NS, slixmpp.JID(to).bare)
        messages, errors = await self.sm.encrypt(frozenset([slixmpp.JID(to).bare]),
                                                 {NS: body.encode("utf-8")})
        for e in errors:
            logging.warning("encryption error: %s", e)
        return messages[0] if isinstance(messages, list) else next(iter(messages))

    async def run_command(self, c):
        cmd = c.get("cmd")
        try:
            if cmd == "msg":
                message = await self.encrypt(c["to"], c["body"])
                out(event="sent", id=self.send_encrypted(c["to"], message, FALLBACK))
            elif cmd == "corrupt":
                message = await self.encrypt(c["to"], c["body"])
                elt = oldmemo.etree.serialize_message(message)
                target = slixmpp.JID(c["to"]).bare
                for key in elt.iter("{%s}key" % NS):
                    raw = bytearray(base64.b64decode(key.text))
                    raw[-3] ^= 0xff  # inside the MAC: the key cannot authenticate
                    key.text = base64.b64encode(bytes(raw)).decode()
                m = self.make_message(mto=target, mtype="chat")
                m["id"] = self.new_id()
                m.append(elt)
                m["body"] = FALLBACK
                m.send()
                out(event="sent", id=m["id"])
            elif cmd == "plain":
                m = self.make_message(mto=c["to"], mbody=c["body"], mtype="chat")
                m["id"] = self.new_id()
                m.send()
                out(event="sent", id=m["id"])
            elif cmd == "devices":
                await self.sm.refresh_device_list(NS, c["jid"])
                infos = await self.sm.get_device_information(c["jid"])
                out(event="devices", jid=c["jid"], devices=[
                    {"id": d.device_id, "fingerprint": fingerprint(d.identity_key),
                     "trust": d.trust_level_name} for d in infos])
            elif cmd in ("trust", "distrust"):
                infos = await self.sm.get_device_information(c["jid"])
                for d in infos:
                    if hexfp(fingerprint(d.identity_key)) == hexfp(c["fingerprint"]):
                        await self.sm.set_trust(d.bare_jid, d.identity_key,
                                                "verified" if cmd == "trust" else "distrusted")
                        out(event="trusted", jid=c["jid"], id=d.device_id)
                        break
                else:
                    out(event="error", cmd=cmd, text="no such fingerprint")
            elif cmd == "subscribe":
                self.send_presence(pto=c["to"], ptype="subscribe")
                out(event="sent", id=None)
            elif cmd == "groupmsg":
                out(event="sent", id=await self.send_group(c["room"], c["body"]))
            elif cmd.startswith("muc_") or cmd == "groupchat":
                await self.muc_command(c)
            else:
                out(event="error", cmd=cmd, text="unknown command")
        except Exception as e:  # report, keep serving
            logging.exception("command %s", cmd)
            out(event="error", cmd=cmd, text="%s: %s" % (type(e).__name__, e))


def main():
    ap = slixpeer.arguments("scriptable OMEMO peer (slixmpp + python-omemo)")
    ap.add_argument("--store", required=True)
    ap.add_argument("--manual", action="store_true", help="no blind trust")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    return slixpeer.serve(Peer(args.jid, args.password, args.store, args.manual), args)


if __name__ == "__main__":
    sys.exit(main())
