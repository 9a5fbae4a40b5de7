#!/usr/bin/python3
"""A scripted XMPP server on loopback, for tests that need a server to misbehave.

Prosody (fixture.py) is a well-behaved server; this one does exactly what a test
tells it to, byte for byte, so that natter can be shown a hostile or broken
server.  It serves real TLS (the test CA of fixture.make_certificates(), or the
certificate and key a test passes), so natter verifies it with tls_cafile just
as it verifies Prosody.

    with ScriptedServer(cert=fx.cert_file, key=fx.key_file) as srv:
        natter = ...  # account: server 127.0.0.1, port srv.port, tls_cafile fx.ca_file
        conn = srv.wait_connection(timeout=15)    # natter has logged in
        conn.send("<message from='bob@localhost/x' type='chat'><body>hi</body></message>")
        msg = conn.expect("message", timeout=5)    # what natter sent, an Element
        conn.reset()                               # TCP RST; or conn.close()

Also: conn.send_in_background(data) for data too large to wait for,
conn.expect_none(what, within), conn.drop() (a FIN without ending the stream
or TLS), conn.send_below_tls(raw) (a forged TLS record), conn.wait_closed(),
srv.wait_accept() (a connection at any stage, for tests of the login), and
mechanisms=(...) for the SASL mechanisms offered.

What a connection does by itself, in order:
  1. Direct TLS (tls="direct") from the first byte, or a plaintext stream that
     offers <starttls><required/></starttls> and answers it with <proceed/>
     (tls="starttls", the default).
  2. Over TLS: SASL PLAIN with the credentials in `users` ({localpart:
     password}), then a stream restart.  `sasl=fn(conn, auth)` replaces this
     step: it gets the <auth/> Element, may conn.send() challenges and
     conn.expect() responses, and returns True (the server sends <success/>)
     or False (<failure><not-authorized/></failure>).
  3. Resource binding (the JID ends in the resource natter asked for, or
     "scripted") and the session request.  The connection is now "online".
  4. While online, natter's login requests are answered without the test:
     roster get (the <item/>s in `roster`, none by default), carbons enable,
     MAM queries (an empty <fin complete='true'/>), the blocklist
     (service-unavailable: no XEP-0191 here), disco#info and disco#items to
     the server, disco#info to the account itself (without XEP-0402
     bookmarks) and the XEP-0048 bookmarks natter then reads from private
     storage (none), pings, and PEP requests on the account's own node
     (OMEMO's device list and bundle: empty results).  Any other iq get/set gets
     `other_iq`: "error" (service-unavailable, the default), "result"
     (empty), "queue" (handed to the test like any stanza), or a function
     fn(conn, iq) returning the answer as a string (None: queue it).  Broadcast presence (no "to") is noted and
     dropped.  Everything else (messages, directed presence, answers to the
     server's own requests) waits in the connection's queue for expect().

XEP-0198 (sm=True): the features after authentication offer <sm/>; an
<enable/> is answered with <enabled id resume='true'/>, natter's <r/> with
<a h/> (conn.sm_in counts the stanzas natter sent since; unanswered while
conn.sm_answer_r is False), natter's <a/> is
recorded in conn.sm_acks; a <resume previd/> naming an earlier connection's
session (whose `resumable` the test did not clear) is answered with
<resumed h/> (that connection's count) and the new connection is online at
once, otherwise with <failed/>, after which natter binds anew.
conn.stream_ended is set when natter closed its stream (</stream:stream>).

Hooks, all optional:
  features=fn(stage) -> str      the <stream:features/> content for a stage
                                 ("starttls", "auth", "bind"); None: default
  header=fn(conn, stage) -> str  the whole server stream header (the XML
                                 declaration, a DOCTYPE, <stream:stream ...>)
  sasl=fn(conn, auth) -> bool    see step 2
  other_iq=...                   see step 4

Strict mode (strict=True): every stanza from natter that neither an expect()
nor a login auto-answer covered is recorded in conn.unexpected: those an
expect() skipped over, iqs answered only by the `other_iq` default, and
whatever is still queued when the test calls conn.unexpected_now().  A test
that must fail on anything it did not ask for asserts that list is empty.

Only the Python standard library is used.  One thread per connection owns its
socket (OpenSSL objects must not be shared between threads); the test talks
to it through queues.  Every wait is bounded, and stop() (or the end of the
with block, or fixture's emergency clean-up) closes everything.
"""

import base64
import os
import queue
import select
import socket
import ssl
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

import fixture

LOOPBACK = "127.0.0.1"
NS_CLIENT = "jabber:client"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_SM = "urn:xmpp:sm:3"

TIMEOUT_SCALE = float(os.environ.get("NATTER_TEST_TIMEOUT_SCALE", "1") or 1)


class ScriptError(AssertionError):
    """The connection did not do what the script expected."""


class PeerGone(ScriptError):
    """natter closed or cut the connection."""


def local(tag):
    """The local name of an ElementTree tag ('{ns}name' -> 'name')."""
    return tag.rsplit("}", 1)[-1]


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def child(el, name, ns=None):
    """The first child of el called name (in namespace ns, when given), or None."""
    for c in el:
        if local(c.tag) == name and (ns is None or ns_of(c.tag) == ns):
            return c
    return None


def text_of(el):
    """el serialised back to text (namespaces as ElementTree writes them)."""
    return ET.tostring(el, encoding="unicode")


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def _predicate(what):
    """expect()'s argument as a function of an Element."""
    if callable(what):
        return what
    if what.startswith("{"):
        return lambda el: el.tag == what
    return lambda el: local(el.tag) == what


class _Stream:
    """The client's XML stream: a pull parser that yields the stream header
    and each complete top-level element, and forgets the elements it gave
    out (a long session must not grow the tree)."""

    def __init__(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.root = None

    def feed(self, data):
        """Yields ("header", attrib) and ("stanza", Element) events."""
        self.parser.feed(data)
        for event, el in self.parser.read_events():
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    self.root = el
                    yield "header", dict(el.attrib)
            else:
                self.depth -= 1
                if self.depth == 1:
                    self.root.remove(el)
                    yield "stanza", el
                elif self.depth == 0:
                    yield "end", None


class ScriptedConnection:
    """One client connection.  The test calls send(), expect(), close(),
    reset(), wait_closed(); the connection's own thread does all the I/O."""

    def __init__(self, server, sock, number):
        self.server = server
        self.number = number
        self.sock = sock
        self.stage = "accepted"       # accepted, tls, authenticated, online
        self.jid = None               # the bound full JID once online
        self.client_header = None     # attributes of natter's last stream header
        self.unexpected = []          # strict mode: stanzas nobody covered
        self.answered = []            # (stanza, answer) auto-answers, in order
        self.presence = []            # broadcast presence natter sent
        self.received = 0             # bytes received
        self.user = next(iter(server.users), "user")  # the SASL step may change it
        self.error = None             # why the login script stopped, if it did
        self.stream_ended = False     # natter sent </stream:stream>
        self.sm_id = None             # XEP-0198 (sm=True): this connection's session
        self.sm_in = 0                # stanzas natter sent since <enable/> or <resume/>
        self.sm_acks = []             # h of each <a/> natter sent
        self.sm_answer_r = True       # False: natter's <r/> goes unanswered
        self.resumable = True         # a later <resume/> may take this session over
        self.resumed_from = None      # the connection this one resumed
        self._stream = _Stream()
        self._items = []              # stanzas waiting for expect()
        self._headers = []
        self._cond = threading.Condition()
        self._out = []                # (bytes, done Event) waiting to be written
        self._cmds = []               # functions the I/O thread runs in order
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._closed = threading.Event()
        self._online = threading.Event()
        self._auto = False
        self._draining = False        # after drop(): read until natter closes
        self._io = threading.Thread(target=self._io_loop, daemon=True,
                                    name="scripted-io-%d" % number)
        self._login = threading.Thread(target=self._login_script, daemon=True,
                                       name="scripted-login-%d" % number)

    def _start(self):
        self._io.start()
        self._login.start()

    # -- the test's side ------------------------------------------------------

    def send(self, data, timeout=10, tolerate_close=False):
        """Writes data (str or bytes) and waits until it is all written.
        Raises PeerGone when natter goes away first (unless tolerate_close,
        then returns False); True when written."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        done = threading.Event()
        with self._lock:
            self._out.append([memoryview(data), done])
        self._wake()
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while not done.is_set():
            if self._closed.is_set():
                break
            if time.monotonic() > deadline:
                raise ScriptError("connection %d: %d bytes not written within %.1f s"
                                  % (self.number, len(data), timeout * TIMEOUT_SCALE))
            done.wait(0.05)
        if done.is_set():
            return True
        if tolerate_close:
            return False
        raise PeerGone("connection %d: natter went away before %d bytes were written"
                       % (self.number, len(data)))

    def send_in_background(self, data):
        """Queues data and returns at once (for stanzas too large to wait for);
        returns an Event set once it is all written."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        done = threading.Event()
        with self._lock:
            self._out.append([memoryview(data), done])
        self._wake()
        return done

    def expect(self, what, timeout=10):
        """The first queued stanza matching what (an element name, a
        '{ns}name' tag, or a predicate of an Element); waits for it."""
        pred = _predicate(what)
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self._cond:
            while True:
                for i, el in enumerate(self._items):
                    if pred(el):
                        if self.server.strict:
                            self.unexpected.extend(self._items[:i])
                            del self._items[:i + 1]
                        else:
                            del self._items[i]
                        return el
                left = deadline - time.monotonic()
                if left <= 0 or (self._closed.is_set() and not self._io.is_alive()):
                    break
                self._cond.wait(min(left, 0.1))
            queued = [text_of(e)[:200] for e in self._items]
        raise ScriptError("connection %d: no stanza matching %r within %.1f s%s; queued: %s"
                          % (self.number, what, timeout * TIMEOUT_SCALE,
                             " (natter went away)" if self._closed.is_set() else "",
                             queued or "nothing"))

    def expect_none(self, what, within=1.0):
        """Fails if a stanza matching what arrives within `within` seconds."""
        pred = _predicate(what)
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                for el in self._items:
                    if pred(el):
                        raise ScriptError("connection %d: unexpected stanza %s"
                                          % (self.number, text_of(el)[:300]))
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.1))

    def unexpected_now(self):
        """Strict mode's verdict so far: the unexpected stanzas plus those still
        queued (moved into unexpected), as text."""
        with self._cond:
            self.unexpected.extend(self._items)
            self._items.clear()
            return [text_of(e) for e in self.unexpected]

    def close(self):
        """Ends the stream (</stream:stream>) and closes the socket."""
        self._command(self._do_close)

    def reset(self):
        """Drops the connection at once with a TCP RST."""
        self._command(self._do_reset)

    def drop(self):
        """Closes the TCP connection (FIN) without ending the stream or the TLS
        session.  What natter still sends is read and dropped: closing a
        socket with unread data would send a reset instead."""
        self._command(self._do_drop)

    def send_below_tls(self, data):
        """Writes raw bytes on the TCP connection under the TLS layer (a
        forged or broken TLS record)."""
        def write():
            try:
                os.write(self.sock.fileno(), data)
            except OSError:
                pass
        self._command(write)

    def wait_closed(self, timeout=10):
        """True once the connection is gone (either side)."""
        return self._closed.wait(timeout * TIMEOUT_SCALE)

    @property
    def closed(self):
        return self._closed.is_set()

    # -- the login script (its own thread, so hooks can send and expect) ------

    def _header(self, stage):
        if self.server.header:
            return self.server.header(self, stage)
        return ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                "xmlns:stream='%s' id='scripted-%d-%s' from='%s' version='1.0' "
                "xml:lang='en'>" % (NS_STREAM, self.number, stage, self.server.domain))

    def _features(self, stage):
        custom = self.server.features(stage) if self.server.features else None
        if custom is not None:
            return "<stream:features>%s</stream:features>" % custom
        if stage == "starttls":
            body = "<starttls xmlns='%s'><required/></starttls>" % NS_TLS
        elif stage == "auth":
            body = ("<mechanisms xmlns='%s'>%s</mechanisms>" % (NS_SASL, "".join(
                "<mechanism>%s</mechanism>" % m for m in self.server.mechanisms)))
        else:
            body = "<bind xmlns='%s'/><session xmlns='%s'/>" % (NS_BIND, NS_SESSION)
            if self.server.sm:
                body += "<sm xmlns='%s'/>" % NS_SM
        return "<stream:features>%s</stream:features>" % body

    def _wait_header(self, timeout=15):
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self._cond:
            while not self._headers:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set():
                    raise ScriptError("connection %d: no stream header from natter"
                                      % self.number)
                self._cond.wait(min(left, 0.1))
            self.client_header = self._headers.pop(0)
            return self.client_header

    def _open(self, stage):
        self._wait_header()
        self.send(self._header(stage) + self._features(stage))

    def _login_script(self):
        try:
            if self.server.tls == "starttls":
                self._open("starttls")
                self.expect(lambda e: local(e.tag) == "starttls", timeout=15)
                # <proceed/>, then the handshake, on the I/O thread, in order.
                self._command(self._do_proceed_and_tls)
                self._wait_stage("tls")
            self._open("auth")
            self._authenticate()
            self._open("bind")
            if not (self.server.sm and self._resume()):
                self._bind()
        except ScriptError as e:
            self.error = str(e)
            return
        self.stage = "online"
        self._online.set()
        self.server._ready(self)

    def _wait_stage(self, stage, timeout=15):
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while self.stage != stage:
            if self._closed.is_set() or time.monotonic() > deadline:
                raise ScriptError("connection %d: TLS did not start" % self.number)
            time.sleep(0.01)

    def _authenticate(self):
        while True:
            auth = self.expect(lambda e: local(e.tag) == "auth", timeout=15)
            if self.server.sasl:
                ok = self.server.sasl(self, auth)
            else:
                ok = self._plain(auth)
            if ok:
                # natter's next bytes are a new stream: a fresh parser first.
                self._command(self._do_restart)
                self.send("<success xmlns='%s'/>" % NS_SASL)
                self.stage = "authenticated"
                return
            self.send("<failure xmlns='%s'><not-authorized/></failure>" % NS_SASL)

    def _plain(self, auth):
        if auth.get("mechanism") != "PLAIN":
            return False
        try:
            raw = base64.b64decode((auth.text or "").strip(), validate=True)
        except ValueError:
            return False
        parts = raw.split(b"\0")
        if len(parts) != 3:
            return False
        user, password = parts[1].decode("utf-8", "replace"), parts[2].decode(
            "utf-8", "replace")
        self.user = user
        return self.server.users.get(user) == password

    def _bind(self):
        bind = self.expect(lambda e: child(e, "bind", NS_BIND) is not None, timeout=15)
        res = child(child(bind, "bind", NS_BIND), "resource")
        resource = res.text if res is not None and res.text else "scripted"
        self.jid = "%s@%s/%s" % (self.user, self.server.domain, resource)
        # From here on the I/O thread answers by itself (the session request
        # that follows the bind, too); switched under the queue's lock so that
        # no stanza falls between the two modes.
        with self._cond:
            self._auto = True
        self.send("<iq type='result' id='%s'><bind xmlns='%s'><jid>%s</jid></bind></iq>"
                  % (xml_escape(bind.get("id", "")), NS_BIND, xml_escape(self.jid)))

    def _resume(self):
        """XEP-0198: True when natter resumed an earlier session here, False
        when it asks for a new one (a bind, perhaps after a refused resume)."""
        first = self.expect(lambda e: child(e, "bind", NS_BIND) is not None
                            or (local(e.tag) == "resume" and ns_of(e.tag) == NS_SM),
                            timeout=15)
        if local(first.tag) != "resume":
            with self._cond:
                self._items.insert(0, first)
            return False
        old = next((c for c in self.server.connections
                    if c is not self and c.sm_id and c.sm_id == first.get("previd")
                    and c.resumable), None)
        if old is None:
            self.send("<failed xmlns='%s'><item-not-found xmlns='%s'/></failed>"
                      % (NS_SM, NS_STANZAS))
            return False
        old.resumable = False
        self.sm_id, self.jid, self.resumed_from = old.sm_id, old.jid, old
        with self._cond:
            # The count goes on where the old stream left it.
            self.sm_in = old.sm_in
            self._auto = True
        self.send("<resumed xmlns='%s' previd='%s' h='%d'/>" % (NS_SM, xml_escape(old.sm_id),
                                                                old.sm_in))
        return True

    # -- auto-answers (I/O thread) ---------------------------------------------

    def _result(self, iq, payload=""):
        attrs = "type='result' id='%s'" % xml_escape(iq.get("id", ""))
        if iq.get("to"):
            attrs += " from='%s'" % xml_escape(iq.get("to"))
        if self.jid:
            attrs += " to='%s'" % xml_escape(self.jid)
        return "<iq %s>%s</iq>" % (attrs, payload)

    def _error(self, iq, condition="service-unavailable"):
        attrs = "type='error' id='%s'" % xml_escape(iq.get("id", ""))
        if iq.get("to"):
            attrs += " from='%s'" % xml_escape(iq.get("to"))
        if self.jid:
            attrs += " to='%s'" % xml_escape(self.jid)
        return ("<iq %s><error type='cancel'><%s xmlns='%s'/></error></iq>"
                % (attrs, condition, NS_STANZAS))

    def _to_server(self, iq):
        to = iq.get("to")
        return not to or to == self.server.domain or (
            self.jid and to.split("/")[0] == self.jid.split("/")[0])

    def _sm_answer(self, el):
        """XEP-0198 elements from natter: the answer, True (drop) or None."""
        name = local(el.tag)
        if name == "enable":
            self.sm_id = "sm-%d-%s" % (self.number, os.urandom(4).hex())
            return "<enabled xmlns='%s' id='%s' resume='true' max='60'/>" % (NS_SM, self.sm_id)
        if name == "r":
            if not self.sm_answer_r:
                return True
            return "<a xmlns='%s' h='%d'/>" % (NS_SM, self.sm_in)
        if name == "a":
            self.sm_acks.append(int(el.get("h", "-1")))
            return True
        return None

    def _auto_answer(self, el):
        """The answer natter's login would wait for, or None; True: drop it."""
        name = local(el.tag)
        if self.server.sm and ns_of(el.tag) == NS_SM:
            answer = self._sm_answer(el)
            if answer is not None:
                return answer, False
        if name == "iq" and child(el, "session", NS_SESSION) is not None:
            return self._result(el), False
        if name == "presence" and not el.get("to"):
            self.presence.append(el)
            return True, False
        if name != "iq" or el.get("type") not in ("get", "set"):
            return None, False
        q = el[0] if len(el) else None
        qns = ns_of(q.tag) if q is not None else ""
        if q is not None and self._to_server(el):
            if qns == "jabber:iq:roster" and el.get("type") == "get":
                return self._result(el, "<query xmlns='jabber:iq:roster'>%s</query>"
                                    % self.server.roster), False
            if qns.startswith("urn:xmpp:carbons:"):
                return self._result(el), False
            if qns.startswith("urn:xmpp:mam:"):
                if el.get("type") == "set":
                    return self._result(el, "<fin xmlns='%s' complete='true'>"
                                        "<set xmlns='http://jabber.org/protocol/rsm'/></fin>"
                                        % qns), False
                return self._result(el), False
            if qns == "urn:xmpp:ping":
                return self._result(el), False
            if qns == "urn:xmpp:blocking" and el.get("type") == "get":
                # Asked for at every login; this server has no XEP-0191.
                return self._error(el), False
            if qns == "http://jabber.org/protocol/pubsub":
                # OMEMO at login: our own device list is read (none here)
                # and our device and keys are published, on our own PEP.
                return self._result(el), False
            if qns == "http://jabber.org/protocol/disco#info" and (
                    not el.get("to") or el.get("to") == self.server.domain):
                return self._result(el, (
                    "<query xmlns='http://jabber.org/protocol/disco#info'>"
                    "<identity category='server' type='im' name='scripted'/>"
                    "<feature var='http://jabber.org/protocol/disco#info'/>"
                    "<feature var='urn:xmpp:ping'/></query>")), False
            # The account itself (bookmarks.c asks which storage it has):
            # no XEP-0402, so natter reads XEP-0048 private storage.
            if qns == "http://jabber.org/protocol/disco#info" and el.get("to") and \
                    "/" not in el.get("to"):
                return self._result(el, (
                    "<query xmlns='http://jabber.org/protocol/disco#info'>"
                    "<identity category='account' type='registered'/></query>")), False
            if qns == "jabber:iq:private" and el.get("type") == "get":
                return self._result(el, "<query xmlns='jabber:iq:private'>"
                                        "<storage xmlns='storage:bookmarks'/></query>"), False
            if qns == "http://jabber.org/protocol/disco#items" and (
                    not el.get("to") or el.get("to") == self.server.domain):
                return self._result(el, "<query xmlns='http://jabber.org/protocol/"
                                        "disco#items'/>"), False
        policy = self.server.other_iq
        if callable(policy):
            answer = policy(self, el)
            return answer, answer is not None and self.server.strict
        if policy == "result":
            return self._result(el), self.server.strict
        if policy == "error":
            return self._error(el), self.server.strict
        return None, False

    # -- the I/O thread ---------------------------------------------------------

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _command(self, fn):
        with self._lock:
            self._cmds.append(fn)
        self._wake()

    def _on_bytes(self, data):
        self.received += len(data)
        if self._draining:
            return
        try:
            events = list(self._stream.feed(data))
        except ET.ParseError as e:
            self.error = "natter sent malformed XML: %s" % e
            self._do_reset()
            return
        for kind, value in events:
            if kind == "header":
                with self._cond:
                    self._headers.append(value)
                    self._cond.notify_all()
            elif kind == "end":
                self.stream_ended = True
                self._do_close()
            else:
                self._on_stanza(value)

    def _on_stanza(self, el):
        with self._cond:
            if self.sm_id and local(el.tag) in ("message", "presence", "iq"):
                self.sm_in += 1
            if self._auto:
                answer, unexpected = self._auto_answer(el)
                if answer is True:
                    return
                if answer is not None:
                    self.answered.append((el, answer))
                    if unexpected:
                        self.unexpected.append(el)
                    self._queue_out(answer.encode("utf-8"))
                    return
            self._items.append(el)
            self._cond.notify_all()

    def _queue_out(self, data):
        with self._lock:
            self._out.append([memoryview(data), threading.Event()])

    def _flush_blocking(self, timeout=10):
        """Writes all queued output now (used before switching to TLS)."""
        self.sock.setblocking(True)
        self.sock.settimeout(timeout * TIMEOUT_SCALE)
        try:
            with self._lock:
                out, self._out = self._out, []
            for buf, done in out:
                self.sock.sendall(buf)
                done.set()
        finally:
            self.sock.setblocking(False)

    def _do_proceed_and_tls(self):
        self._queue_out(("<proceed xmlns='%s'/>" % NS_TLS).encode())
        self._flush_blocking()
        self._stream = _Stream()
        self.sock = self.server._wrap(self.sock)
        self.stage = "tls"

    def _do_restart(self):
        self._stream = _Stream()

    def _do_close(self):
        if self._closed.is_set():
            return
        try:
            self._queue_out(b"</stream:stream>")
            self._flush_blocking(timeout=2)
        except OSError:
            pass
        self._shutdown(rst=False)

    def _do_reset(self):
        self._shutdown(rst=True)

    def _do_drop(self):
        self._draining = True
        try:
            # The plain socket's shutdown: SSLSocket's would end TLS first.
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        except OSError:
            self._shutdown(rst=False)

    def _shutdown(self, rst):
        if self._closed.is_set():
            return
        if rst:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        try:
            self.sock.close()
        except OSError:
            pass
        self._closed.set()
        with self._cond:
            self._cond.notify_all()

    def _io_loop(self):
        try:
            self.sock.setblocking(False)
            while not self._closed.is_set() and not self.server._stopping.is_set():
                with self._lock:
                    cmds, self._cmds = self._cmds, []
                for fn in cmds:
                    fn()
                if self._closed.is_set():
                    break
                with self._lock:
                    want_write = bool(self._out)
                r, w, _ = select.select([self.sock, self._wake_r],
                                        [self.sock] if want_write else [], [], 0.2)
                if self._wake_r in r:
                    self._wake_r.recv(4096)
                if self.sock in r or (isinstance(self.sock, ssl.SSLSocket)
                                      and self.sock.pending()):
                    if not self._read():
                        break
                if w:
                    self._write()
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            self._shutdown(rst=False)
            for s in (self._wake_r, self._wake_w):
                try:
                    s.close()
                except OSError:
                    pass
            with self._lock:
                self._out = []

    def _read(self):
        """Reads what is there; False when natter closed the connection."""
        while True:
            try:
                data = self.sock.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return True
            except (ConnectionError, ssl.SSLError, OSError):
                return False
            if not data:
                return False
            self._on_bytes(data)
            if self._closed.is_set():
                return False

    def _write(self):
        while True:
            with self._lock:
                if not self._out:
                    return
                item = self._out[0]
            buf, done = item
            try:
                n = self.sock.send(buf[:65536])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return
            if n <= 0:
                return
            item[0] = buf = buf[n:]
            if not len(buf):
                with self._lock:
                    self._out.pop(0)
                done.set()


class ScriptedServer:
    """Listens on a free loopback port; see the module docstring."""

    def __init__(self, cert=None, key=None, domain="localhost", users=None, tls="starttls",
                 mechanisms=("PLAIN",), features=None, header=None, sasl=None,
                 other_iq="error", strict=False, roster="", sm=False):
        if tls not in ("starttls", "direct"):
            raise ValueError("tls must be starttls or direct")
        self.domain = domain
        self.users = dict(users if users is not None else {"alice": "alicepw"})
        self.tls = tls
        self.mechanisms = list(mechanisms)
        self.features = features
        self.header = header
        self.sasl = sasl
        self.other_iq = other_iq
        self.strict = strict
        self.roster = roster
        self.sm = sm
        self._tmp = None
        if cert is None:
            self._tmp = tempfile.mkdtemp(prefix="natter-scripted-")
            self.ca_file, cert, key = fixture.make_certificates(
                os.path.join(self._tmp, "certs"), os.path.join(self._tmp, "ca"))
        else:
            self.ca_file = None
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ssl.load_cert_chain(cert, key)
        self.connections = []
        self._ready_q = queue.Queue()
        self._accepted_q = queue.Queue()
        self._stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name="scripted-accept")
        self._acceptor.start()
        with fixture._live_lock:
            fixture._live.add(self)
        fixture._install_cleanup_handlers()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _wrap(self, sock):
        """Server-side TLS on sock, handshake done (bounded)."""
        sock.setblocking(True)
        sock.settimeout(10 * TIMEOUT_SCALE)
        tls = self._ssl.wrap_socket(sock, server_side=True)
        tls.setblocking(False)
        return tls

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                s, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn = ScriptedConnection(self, s, len(self.connections) + 1)
            self.connections.append(conn)
            if self.tls == "direct":
                try:
                    conn.sock = self._wrap(s)
                except (OSError, ssl.SSLError) as e:
                    conn.error = "TLS handshake failed: %s" % e
                    conn._shutdown(rst=False)
                    self._accepted_q.put(conn)
                    continue
                conn.stage = "tls"
            self._accepted_q.put(conn)
            conn._start()

    def _ready(self, conn):
        self._ready_q.put(conn)

    def wait_connection(self, timeout=15):
        """The next connection to log in (bound, auto-answers on)."""
        try:
            return self._ready_q.get(timeout=timeout * TIMEOUT_SCALE)
        except queue.Empty:
            errors = [c.error for c in self.connections if c.error]
            raise ScriptError("no client logged in within %.1f s (%d connections%s)" % (
                timeout * TIMEOUT_SCALE, len(self.connections),
                "; " + "; ".join(errors) if errors else "")) from None

    def wait_accept(self, timeout=15):
        """The next connection accepted, whatever it goes on to do."""
        try:
            return self._accepted_q.get(timeout=timeout * TIMEOUT_SCALE)
        except queue.Empty:
            raise ScriptError("no connection within %.1f s" % (timeout * TIMEOUT_SCALE)) \
                from None

    def stop(self):
        if self._stopping.is_set():
            return
        self._stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        for c in list(self.connections):
            c._command(c._do_reset)
        self._acceptor.join(timeout=3)
        for c in list(self.connections):
            for t in (c._io, c._login):
                if t.is_alive():
                    t.join(timeout=3)
        if self._tmp:
            import shutil
            shutil.rmtree(self._tmp, ignore_errors=True)
        with fixture._live_lock:
            fixture._live.discard(self)
