#!/usr/bin/python3
"""Throwaway XMPP servers for natter's tests and demo.

Prosody runs from a temporary directory on free loopback ports, with its own
certificate authority; it is always torn down (context manager, atexit and
SIGTERM/SIGHUP).  Next to it live three small loopback-only helpers:

  CutProxy        a TCP proxy that can reset every live connection at once
  TlsStaller      answers <starttls/> with <proceed/>, then stays silent
  PlainOnlyServer offers only SASL PLAIN on a plaintext stream and records
                  whether a client ever tried it
  UploadProxy     stands between HTTP clients and Prosody's HTTPS port: it
                  counts connections and bytes, can slow the upload down, and
                  can pose as the server with a certificate of its own

Library use (tests):
    with ProsodyFixture() as fx:
        fx.c2s_port, fx.direct_tls_port, fx.ca_file, fx.fingerprint ...

Command line (quick start, manual testing):
    fixture.py start --dir DIR [--user JID:PASSWORD ...]
prints one JSON object describing the server, then runs until SIGTERM,
SIGINT or end of standard input (when standard input is a pipe or terminal).

Only the Python standard library is used.  Every wait is bounded.
"""

import argparse
import atexit
import ctypes
import json
import os
import re
import selectors
import shutil
import select
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time

LOOPBACK = "127.0.0.1"
MARKER = ".natter-fixture"

# Accounts every test run gets: {(user, host): password}.
DEFAULT_USERS = {
    ("alice", "localhost"): "alicepw",
    ("bob", "localhost"): "bobpw",
    ("carol", "localhost"): "carolpw",
    ("admin", "localhost"): "adminpw",
    ("dave", "legacy.localhost"): "davepw",
    ("erin", "plain.localhost"): "erinpw",
    ("frank", "noblock.localhost"): "frankpw",
}

# Names in the server certificate.  Deliberately no wildcard and no
# plain.localhost: that host must not be able to offer STARTTLS.
CERT_NAMES = ["localhost", "legacy.localhost", "pubsub.localhost",
              "muc.localhost", "upload.localhost", "conference.localhost",
              "oldbookmarks.localhost", "noblock.localhost"]

MODULES = ["roster", "saslauth", "tls", "disco", "carbons", "pep", "private",
           "bookmarks", "blocklist", "vcard4", "vcard_legacy", "version", "uptime",
           "time", "ping", "register", "mam", "smacks", "legacyauth", "offline",
           "posix", "admin_shell", "csi_simple"]

_live = set()          # fixtures and helpers still running, for emergency cleanup
_live_lock = threading.Lock()


class FixtureError(RuntimeError):
    """The throwaway server could not be set up."""


def free_port():
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def port_open(port, host=LOOPBACK, timeout=0.2):
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the process that started it dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def cert_fingerprint(pem_path):
    """SHA-256 fingerprint of a PEM certificate as 'sha256:<64 lowercase hex>' (via openssl)."""
    out = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout",
                          "-fingerprint", "-sha256"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    hexpart = out.strip().split("=", 1)[1].replace(":", "").lower()
    if not re.fullmatch(r"[0-9a-f]{64}", hexpart):
        raise FixtureError("unexpected openssl fingerprint output: %r" % out)
    return "sha256:" + hexpart


def _run(cmd, **kw):
    """Run a short helper command; raise FixtureError with its output on failure."""
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True,
                              timeout=kw.pop("timeout", 60), **kw)
    except subprocess.CalledProcessError as e:
        raise FixtureError("%s failed (%d): %s%s" % (" ".join(cmd), e.returncode,
                                                     e.stdout, e.stderr)) from None
    except subprocess.TimeoutExpired:
        raise FixtureError("%s timed out" % " ".join(cmd)) from None


def make_ca(cadir):
    """Create a throwaway certificate authority in cadir; return (ca.crt, ca.key)."""
    os.makedirs(cadir, exist_ok=True)
    ca_key = os.path.join(cadir, "ca.key")
    ca_crt = os.path.join(cadir, "ca.crt")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-x509"] + ec + ["-days", "3",
          "-subj", "/CN=natter throwaway test CA", "-keyout", ca_key, "-out", ca_crt,
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    os.chmod(ca_key, 0o600)
    return ca_crt, ca_key


def issue_certificate(ca_crt, ca_key, certdir, names=None, stem="localhost"):
    """A server certificate for names (CN the first), signed by the CA;
    return (cert, key) paths in certdir.  Servers started by one test run can
    share a CA, so one tls_cafile trusts them all."""
    names = list(names or CERT_NAMES)
    os.makedirs(certdir, exist_ok=True)
    key = os.path.join(certdir, stem + ".key")
    crt = os.path.join(certdir, stem + ".crt")
    csr = os.path.join(certdir, stem + ".csr")
    ext = os.path.join(certdir, stem + ".ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-new"] + ec + ["-subj", "/CN=" + names[0],
          "-keyout", key, "-out", csr])
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=%s\n" % ",".join("DNS:" + n for n in names))
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
          "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
          "-extfile", ext, "-out", crt])
    os.chmod(key, 0o600)
    for tmp in (csr, ext):
        os.unlink(tmp)
    return crt, key


def make_certificates(certdir, cadir):
    """Create a CA and a server certificate signed by it; return (ca, cert, key) paths."""
    ca_crt, ca_key = make_ca(cadir)
    crt, key = issue_certificate(ca_crt, ca_key, certdir)
    return ca_crt, crt, key


def _lua_str(s):
    """A Lua string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ProsodyFixture:
    """A Prosody server in a temporary directory; see the module docstring.

    Attributes once started: dir, config, log, ca_file, ca_key_file (to sign
    other test servers' certificates), cert_file, key_file, fingerprint,
    c2s_port, direct_tls_port, users {jid: password}.  With http=True,
    Prosody also serves HTTPS on https_port (the same certificate, so the
    test CA verifies it) and the upload.localhost component (XEP-0363, 1 MiB
    limit) hands out URLs https://upload.localhost:P/... whose port P is
    upload_proxy's (an UploadProxy in front of https_port).
    """

    def __init__(self, directory=None, users=None, admins=("admin@localhost",),
                 smacks_hibernation=60, start_timeout=15.0, verbose=False, http=False):
        self._own_dir = directory is None
        self.dir = directory
        self.users = {}
        self._want_users = dict(DEFAULT_USERS if users is None else users)
        self.admins = list(admins)
        self.smacks_hibernation = smacks_hibernation
        self.start_timeout = start_timeout
        self.verbose = verbose
        self.http = http   # HTTPS (and the upload.localhost component) on a free port
        self.upload_proxy = None
        self.proc = None
        self._stdout = None
        self._torn_down = False

    # -- set-up ---------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Create certificates and config, start Prosody, register the users."""
        with _live_lock:
            _live.add(self)
        _install_cleanup_handlers()
        try:
            self._prepare_dir()
            self.ca_file, self.cert_file, self.key_file = make_certificates(
                os.path.join(self.dir, "certs"), os.path.join(self.dir, "ca"))
            self.ca_key_file = os.path.join(self.dir, "ca", "ca.key")
            self.fingerprint = cert_fingerprint(self.cert_file)
            if self.http:
                self.upload_proxy = UploadProxy()
            last = None
            for _ in range(3):  # a free port can be taken between probe and bind
                self.c2s_port, self.direct_tls_port, self.https_port = self._three_ports()
                if self.upload_proxy:
                    self.upload_proxy.target = (LOOPBACK, self.https_port)
                self._write_config()
                try:
                    self._launch()
                    break
                except FixtureError as e:
                    last = e
                    self._kill()
            else:
                raise last
            for (user, host), password in self._want_users.items():
                self.register(user, host, password)
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare_dir(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="natter-prosody-")
        else:
            self.dir = os.path.abspath(self.dir)
            if os.path.isdir(self.dir) and os.listdir(self.dir):
                if not os.path.exists(os.path.join(self.dir, MARKER)):
                    raise FixtureError("%s is not empty and was not made by fixture.py; "
                                       "refusing to use it" % self.dir)
                _stop_stale_prosody(self.dir)
                shutil.rmtree(self.dir)
            os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        open(os.path.join(self.dir, MARKER), "w").close()
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        self.config = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        self.stdout_log = os.path.join(self.dir, "prosody.stdout")

    @staticmethod
    def _three_ports():
        socks = []
        try:
            for _ in range(3):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((LOOPBACK, 0))
                socks.append(s)
            return tuple(s.getsockname()[1] for s in socks)
        finally:
            for s in socks:
                s.close()

    def _write_config(self):
        d = self.dir
        lines = [
            "-- Generated by natter tests/lib/fixture.py: a throwaway test server.",
            "daemonize = false",
            "pidfile = %s" % _lua_str(os.path.join(d, "prosody.pid")),
            "data_path = %s" % _lua_str(os.path.join(d, "data")),
            "certificates = %s" % _lua_str(os.path.join(d, "certs")),
            "admins = { %s }" % ", ".join(_lua_str(a) for a in self.admins),
            'interfaces = { "127.0.0.1" }',
            'local_interfaces = { "127.0.0.1" }',
            "c2s_ports = { %d }" % self.c2s_port,
            "c2s_direct_tls_ports = { %d }" % self.direct_tls_port,
            'c2s_direct_tls_interfaces = { "127.0.0.1" }',
            "legacy_ssl_ports = { }",
            "admin_socket = %s" % _lua_str(os.path.join(d, "admin.sock")),
            "s2s_ports = { }",
            "component_ports = { }",
            "http_ports = { }",
            "https_ports = { %s }" % (self.https_port if self.http else ""),
            'https_interfaces = { "127.0.0.1" }',
            'modules_disabled = { "s2s" }',
            "log = { { levels = { min = %s }, to = \"file\", filename = %s } }" % (
                _lua_str("debug" if self.verbose else "info"), _lua_str(self.log)),
            'authentication = "internal_hashed"',
            'storage = "internal"',
            "c2s_require_encryption = true",
            "allow_registration = true",
            "smacks_hibernation_time = %d" % self.smacks_hibernation,
            "-- XEP-0352: back to holding what can wait 1 s after a flush, not 5.",
            "csi_resume_inactive_delay = 1",
            "modules_enabled = { %s }" % "; ".join(
                _lua_str(m) for m in MODULES + (["http"] if self.http else [])),
            "",
            'VirtualHost "localhost"',
            "",
            "-- XEP-0078 only: no SASL at all.",
            'VirtualHost "legacy.localhost"',
            '    modules_disabled = { "saslauth" }',
            "",
            "-- Plaintext only.  The certificate lookup would fall back to the",
            "-- parent domain's certificate, so mod_tls is disabled for this host:",
            "-- it offers no <starttls/>; SCRAM is still offered unencrypted.",
            'VirtualHost "plain.localhost"',
            "    c2s_require_encryption = false",
            '    modules_disabled = { "tls" }',
            "",
            "-- In-band registration switched off (XEP-0077 not-allowed).",
            'VirtualHost "closed.localhost"',
            "    allow_registration = false",
            "",
            "-- No XEP-0191 blocking.",
            'VirtualHost "noblock.localhost"',
            '    modules_disabled = { "blocklist" }',
            "",
            "-- XEP-0048 private storage only: no XEP-0402 bookmarks.",
            'VirtualHost "oldbookmarks.localhost"',
            '    modules_disabled = { "bookmarks" }',
            "",
            'Component "pubsub.localhost" "pubsub"',
            'Component "muc.localhost" "muc"',
            "",
            "-- Group chat as the tests use it: rooms keep an archive (XEP-0313 on",
            "-- the room JID), and anyone may create one.",
            'Component "conference.localhost" "muc"',
            '    modules_enabled = { "muc_mam" }',
            "    muc_log_by_default = true",
            "    max_history_messages = 50",
        ]
        if self.http:
            lines += ['Component "upload.localhost" "http_file_share"',
                      '    http_file_share_size_limit = 1048576',
                      '    http_external_url = "https://upload.localhost:%d/"'
                      % self.upload_proxy.port]
        if os.geteuid() == 0:
            lines.insert(1, "run_as_root = true")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _launch(self):
        self._stdout = open(self.stdout_log, "ab")
        self.proc = subprocess.Popen(
            ["prosody", "--config", self.config, "-F"],
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FixtureError("prosody exited with %s during start-up:\n%s" % (
                    self.proc.returncode, self.tail()))
            if port_open(self.c2s_port) and port_open(self.direct_tls_port) and (
                    not self.http or port_open(self.https_port)):
                return
            time.sleep(0.05)
        raise FixtureError("prosody did not open its ports within %.0f s:\n%s" % (
            self.start_timeout, self.tail()))

    def shell(self, command, timeout=10):
        """Run one command in Prosody's admin shell (prosodyctl shell); its output.
        Tests use it to do to the server what no client can (drop an occupant
        from a room silently)."""
        return _run(["prosodyctl", "--config", self.config, "shell", command],
                    timeout=timeout).stdout

    def register(self, user, host, password):
        """Create (or reset) an account with prosodyctl."""
        _run(["prosodyctl", "--config", self.config, "register", user, host, password])
        self.users["%s@%s" % (user, host)] = password

    # -- information ------------------------------------------------------------

    def tail(self, n=40):
        """Last lines of Prosody's log and console output, for failure messages."""
        out = []
        for path in (getattr(self, "stdout_log", None), getattr(self, "log", None)):
            if path and os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("==> %s <==\n%s" % (path, "".join(f.readlines()[-n:])))
        return "\n".join(out)

    def info(self):
        """Everything a client needs, as a JSON-serialisable dict."""
        return {
            "dir": self.dir, "config": self.config, "log": self.log,
            "pid": self.proc.pid if self.proc else None,
            "host": LOOPBACK, "c2s_port": self.c2s_port,
            "direct_tls_port": self.direct_tls_port,
            "https_port": self.https_port if self.http else None,
            "upload_port": self.upload_proxy.port if self.upload_proxy else None,
            "ca_file": self.ca_file, "cert_file": self.cert_file,
            "fingerprint": self.fingerprint, "users": dict(self.users),
        }

    # -- tear-down ------------------------------------------------------------

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self.proc = None
        if self._stdout:
            self._stdout.close()
            self._stdout = None

    def stop(self):
        """Stop Prosody and remove the directory (only what this fixture made)."""
        if self._torn_down:
            return
        self._torn_down = True
        self._kill()
        if self.upload_proxy:
            self.upload_proxy.stop()
        if self.dir and os.path.exists(os.path.join(self.dir, MARKER)):
            shutil.rmtree(self.dir, ignore_errors=True)
        with _live_lock:
            _live.discard(self)


def _stop_stale_prosody(directory):
    """Kill a Prosody left over in a fixture directory from an earlier crash."""
    try:
        with open(os.path.join(directory, "prosody.pid")) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
    except (OSError, ValueError):
        return
    if b"prosody" in cmdline and directory.encode() in cmdline:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.1)


# -- emergency cleanup --------------------------------------------------------

_handlers_installed = False


def cleanup_all():
    """Stop every fixture and helper still running in this process."""
    with _live_lock:
        items = list(_live)
    for item in items:
        try:
            item.stop()
        except Exception:  # cleanup must go on
            pass


def _on_signal(signum, frame):
    cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_cleanup_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(cleanup_all)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)


# -- loopback helpers -----------------------------------------------------------


class _Listener:
    """Base for the loopback helpers: a listening socket and start/stop bookkeeping."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stopped = threading.Event()
        self._threads = []
        with _live_lock:
            _live.add(self)
        _install_cleanup_handlers()

    def _accept_each(self, handle):
        """Hands every connection to handle(conn) until stop() (the
        listening socket has a timeout, so stop() is noticed)."""
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            handle(conn)

    def _spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        self._stopped.set()
        try:
            self.sock.close()
        except OSError:
            pass
        for t in self._threads:
            t.join(timeout=3)
        with _live_lock:
            _live.discard(self)


def _reset(sock):
    """Close a socket so that the peer sees a TCP RST."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class CutProxy(_Listener):
    """Forward loopback TCP connections to target_port; cut() resets them all.

    cut(refuse=True) also resets new connections until restore() is called,
    so a client stays disconnected for as long as the test wants.
    One thread, one selector: no blocking calls to interrupt.
    """

    def __init__(self, target_port, target_host=LOOPBACK):
        super().__init__()
        self.target = (target_host, target_port)
        self.sock.setblocking(False)
        self.accepted = 0
        self.refusing = False
        self._pairs = {}  # socket -> its peer
        self._cmds = []
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._cut_done = threading.Event()
        self._spawn(self._loop)

    def cut(self, refuse=False, timeout=5.0):
        """Reset every live connection (both sides); optionally refuse new ones."""
        self._cut_done.clear()
        self._command(("cut", refuse))
        if not self._cut_done.wait(timeout):
            raise RuntimeError("proxy did not cut within %.1f s" % timeout)

    def restore(self):
        """Accept and forward new connections again."""
        self._command(("restore", None))

    def freeze(self, timeout=5.0):
        """Stop forwarding on every live connection without closing it: a
        dead link that only keepalives can notice.  New connections are
        still forwarded."""
        self._cut_done.clear()
        self._command(("freeze", None))
        if not self._cut_done.wait(timeout):
            raise RuntimeError("proxy did not freeze within %.1f s" % timeout)

    def live(self):
        """Number of client connections being forwarded now."""
        with self._lock:
            return len(self._pairs) // 2

    def _command(self, cmd):
        with self._lock:
            self._cmds.append(cmd)
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _loop(self):
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ, "accept")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopped.is_set():
                for key, _ in sel.select(timeout=0.2):
                    if key.data == "accept":
                        self._accept(sel)
                    elif key.data == "wake":
                        self._wake_r.recv(64)
                        self._run_commands(sel)
                    else:
                        self._pump(sel, key.fileobj)
        except OSError:
            pass
        finally:
            self._drop_all(sel)
            sel.close()
            self._wake_r.close()
            self._wake_w.close()

    def _accept(self, sel):
        try:
            client, _ = self.sock.accept()
        except (BlockingIOError, OSError):
            return
        self.accepted += 1
        if self.refusing:
            _reset(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        for s in (client, upstream):
            s.setblocking(False)
        with self._lock:
            self._pairs[client] = upstream
            self._pairs[upstream] = client
        sel.register(client, selectors.EVENT_READ, "pump")
        sel.register(upstream, selectors.EVENT_READ, "pump")

    def _pump(self, sel, s):
        peer = self._pairs.get(s)
        try:
            data = s.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data or peer is None:
            self._drop(sel, s, reset=False)
            return
        try:
            peer.setblocking(True)
            peer.settimeout(5)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._drop(sel, s, reset=True)

    def _drop(self, sel, s, reset):
        with self._lock:
            peer = self._pairs.pop(s, None)
            if peer is not None:
                self._pairs.pop(peer, None)
        for x in (s, peer):
            if x is None:
                continue
            try:
                sel.unregister(x)
            except (KeyError, ValueError):
                pass
            if reset:
                _reset(x)
            else:
                try:
                    x.close()
                except OSError:
                    pass

    def _drop_all(self, sel):
        with self._lock:
            socks = list(self._pairs)
        for s in socks:
            if s in self._pairs:
                self._drop(sel, s, reset=True)

    def _run_commands(self, sel):
        with self._lock:
            cmds, self._cmds = self._cmds, []
        for name, arg in cmds:
            if name == "cut":
                self.refusing = bool(arg)
                self._drop_all(sel)
                self._cut_done.set()
            elif name == "restore":
                self.refusing = False
            elif name == "freeze":
                with self._lock:
                    frozen = list(self._pairs)
                for s in frozen:
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                self._cut_done.set()


_STREAM_HEADER = re.compile(rb"<(?:stream:)?stream\b[^>]*>", re.S)
_TO_ATTR = re.compile(rb"""\bto=['"]([^'"]+)['"]""")


def _server_header(client_header, sid):
    m = _TO_ATTR.search(client_header)
    domain = m.group(1).decode("ascii", "replace") if m else "localhost"
    return ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' id='%s' from='%s' "
            "version='1.0'>" % (sid, domain)).encode()


class _FakeServer(_Listener):
    """Accepts loopback connections and runs self._session(conn) in a thread each."""

    def __init__(self):
        super().__init__()
        self.sock.settimeout(0.2)
        self.connections = 0
        self.received = []     # bytes received, one entry per connection
        self._conns = []
        self._spawn(self._accept_loop)

    def _accept_loop(self):
        self._accept_each(self._accepted)

    def _accepted(self, conn):
        conn.settimeout(0.2)
        self.connections += 1
        self.received.append(b"")
        self._conns.append(conn)
        self._spawn(self._session_wrapper, conn, len(self.received) - 1)

    def _session_wrapper(self, conn, idx):
        try:
            self._session(conn, idx)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _read_until(self, conn, idx, pattern, start=0):
        """Read until pattern matches the connection's data after start; bounded by stop()."""
        while not self._stopped.is_set():
            m = pattern.search(self.received[idx], start)
            if m:
                return m
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return None
            self.received[idx] += data
        return None

    def _drain(self, conn, idx):
        """Keep reading (and recording) until the peer closes or stop()."""
        while not self._stopped.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            self.received[idx] += data

    def stop(self):
        self._stopped.set()
        for c in list(self._conns):
            try:
                c.close()
            except OSError:
                pass
        super().stop()


class TlsStaller(_FakeServer):
    """Answers the stream header with <starttls><required/></starttls> and
    <starttls/> with <proceed/>, then never says anything again.
    `proceeded` is set once a <proceed/> was sent; `proceed_count` counts them."""

    _STARTTLS = re.compile(rb"<starttls\b[^>]*(/>|>\s*</starttls>)")

    def __init__(self):
        self.proceeded = threading.Event()
        self.proceed_count = 0
        self.open_stalls = 0   # connections that got <proceed/> and are still open
        super().__init__()

    def _session(self, conn, idx):
        m = self._read_until(conn, idx, _STREAM_HEADER)
        if not m:
            return
        conn.sendall(_server_header(m.group(0), "stall%d" % idx) +
                     b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                     b"<required/></starttls></stream:features>")
        if not self._read_until(conn, idx, self._STARTTLS, m.end()):
            return
        conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.proceed_count += 1
        self.open_stalls += 1
        self.proceeded.set()
        try:
            self._drain(conn, idx)   # the ClientHello arrives and is ignored
        finally:
            self.open_stalls -= 1


class PlainOnlyServer(_FakeServer):
    """A plaintext stream offering only SASL PLAIN.  Any <auth/> is answered
    with <failure><not-authorized/></failure>.  `saw_plain()` tells whether a
    client ever sent <auth mechanism="PLAIN">; `saw_header` is set once a
    client stream header arrived."""

    _AUTH = re.compile(rb"<(?:\w+:)?auth\b[^>]*>", re.S)
    _PLAIN = re.compile(rb"""<(?:\w+:)?auth\b[^>]*\bmechanism\s*=\s*['"]PLAIN['"]""", re.S)

    def __init__(self):
        self.saw_header = threading.Event()
        super().__init__()

    def _session(self, conn, idx):
        m = self._read_until(conn, idx, _STREAM_HEADER)
        if not m:
            return
        self.saw_header.set()
        conn.sendall(_server_header(m.group(0), "plain%d" % idx) +
                     b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                     b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
        pos = m.end()
        while not self._stopped.is_set():
            a = self._read_until(conn, idx, self._AUTH, pos)
            if not a:
                return
            pos = a.end()
            conn.sendall(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                         b"<not-authorized/></failure>")

    def saw_plain(self):
        return any(self._PLAIN.search(r) for r in self.received)

    def all_received(self):
        return b"\n----\n".join(self.received).decode("utf-8", "replace")


class UploadProxy(_Listener):
    """A TCP proxy in front of Prosody's HTTPS port, for the upload tests.

    Honest by default: TLS goes through untouched, so the client verifies
    Prosody's own certificate.  throttle(bytes_per_second) slows what the
    client sends (a transfer then takes long enough to watch and cancel);
    impostor(cert, key) answers the TLS handshake itself with another
    certificate, as an interceptor would, and keeps whatever a client sends
    it once the handshake is done (nothing, if the client checks); honest()
    undoes both.  accepted counts connections, bytes_up what reached Prosody.
    """

    def __init__(self, target=None):
        super().__init__()
        self.sock.settimeout(0.2)
        # A small receive window, as a slow link has: what the client has
        # written then waits on its side, not in our buffers.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.target = target
        self.rate = None
        self.accepted = 0
        self.bytes_up = 0
        self.handshakes_refused = 0
        self.impostor_data = b""
        self._impostor_ctx = None
        self._spawn(self._accept_loop)

    def throttle(self, bytes_per_second):
        self.rate = bytes_per_second

    def impostor(self, certfile, keyfile):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        self._impostor_ctx = ctx

    def honest(self):
        self.rate = None
        self._impostor_ctx = None

    def _accept_loop(self):
        self._accept_each(self._accepted)

    def _accepted(self, conn):
        self.accepted += 1
        if self._impostor_ctx is not None:
            self._spawn(self._pose, conn, self._impostor_ctx)
        else:
            self._spawn(self._forward, conn)

    def _pose(self, conn, ctx):
        conn.settimeout(5)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes_refused += 1
            conn.close()
            return
        try:
            tls.settimeout(2)
            while not self._stopped.is_set():
                data = tls.recv(4096)
                if not data:
                    break
                self.impostor_data += data
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()

    def _forward(self, conn):
        try:
            up = socket.create_connection(self.target, timeout=5)
        except OSError:
            conn.close()
            return
        try:
            while not self._stopped.is_set():
                ready, _, _ = select.select([conn, up], [], [], 0.2)
                for s in ready:
                    rate = self.rate
                    n = 65536 if s is up or not rate else max(256, min(16384, rate // 10))
                    data = s.recv(n)
                    if not data:
                        return
                    (up if s is conn else conn).sendall(data)
                    if s is conn:
                        self.bytes_up += len(data)
                        if rate:
                            self._stopped.wait(len(data) / rate)
        except OSError:
            pass
        finally:
            for s in (conn, up):
                try:
                    s.close()
                except OSError:
                    pass


def impostor_certificate(fx_dir, names, ca=True, prefix="other"):
    """A certificate for names in fx_dir, for a server that is not what it
    claims: signed by the fixture's test CA (ca=True, so only its names are
    wrong), or self-signed.  Returns (cert, key) paths."""
    d = os.path.join(fx_dir, "ca")
    key = os.path.join(d, prefix + ".key")
    crt = os.path.join(d, prefix + ".crt")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    san = "subjectAltName=" + ",".join("DNS:" + n for n in names)
    if not ca:
        _run(["openssl", "req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=" + names[0],
              "-keyout", key, "-out", crt, "-addext", san])
        return crt, key
    csr = os.path.join(d, prefix + ".csr")
    ext = os.path.join(d, prefix + ".ext")
    _run(["openssl", "req", "-new"] + ec + ["-subj", "/CN=" + names[0], "-keyout", key,
          "-out", csr])
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n%s\n" % san)
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.crt"),
          "-CAkey", os.path.join(d, "ca.key"),
          "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
          "-extfile", ext, "-out", crt])
    return crt, key


# -- command line ---------------------------------------------------------------


def _stdin_is_watchable():
    """Watch standard input for EOF only when it is a pipe, socket or terminal
    (a background job's /dev/null would otherwise stop the server at once)."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(0)


def _parse_user(spec):
    jid, sep, password = spec.partition(":")
    user, at, host = jid.partition("@")
    if not (sep and at and user and host and password):
        raise argparse.ArgumentTypeError("expected USER@HOST:PASSWORD, got %r" % spec)
    return (user, host), password


def main(argv=None):
    ap = argparse.ArgumentParser(description="Throwaway Prosody for natter tests and demo.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start", help="start a server and print its details as JSON")
    st.add_argument("--dir", required=True, help="directory to create (wiped if it holds an old fixture)")
    st.add_argument("--user", action="append", type=_parse_user, default=[],
                    help="extra account USER@HOST:PASSWORD (repeatable)")
    st.add_argument("--no-default-users", action="store_true",
                    help="do not create the test accounts alice, bob, ...")
    st.add_argument("--verbose", action="store_true", help="debug-level Prosody log")
    st.add_argument("--http", action="store_true",
                    help="also serve HTTPS (upload.localhost file sharing) on a free port")
    args = ap.parse_args(argv)

    users = {} if args.no_default_users else dict(DEFAULT_USERS)
    users.update(dict(args.user))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: stop.set())
    try:
        fx = ProsodyFixture(directory=args.dir, users=users, verbose=args.verbose,
                            http=args.http)
        fx.start()
    except FixtureError as e:
        print("fixture: %s" % e, file=sys.stderr)
        return 1
    try:
        print(json.dumps(fx.info()), flush=True)
        if _stdin_is_watchable():
            def watch():
                while sys.stdin.buffer.read1(4096):
                    pass
                stop.set()
            threading.Thread(target=watch, daemon=True).start()
        while not stop.is_set():
            if fx.proc is None or fx.proc.poll() is not None:
                print("fixture: prosody exited unexpectedly:\n%s" % fx.tail(), file=sys.stderr)
                return 1
            stop.wait(0.5)
    finally:
        fx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
