#!/usr/bin/python3
"""A throwaway ejabberd (Debian's 23.01) for natter's tests.

ejabberd does what the test Prosody cannot: PubSub's `authorize` access model
with a real pending-then-decided flow, X-OAUTH2 logins with tokens it issues
itself, and XEP-0138 zlib compression.  Like fixture.ProsodyFixture it runs
from a temporary directory on free loopback ports and is always torn down
(context manager, atexit, SIGTERM/SIGHUP through fixture's clean-up).

    with EjabberdFixture(ca=(fx.ca_file, fx.ca_key_file)) as ej:
        account = {"jid": "alice@localhost", "password": ej.users["alice@localhost"],
                   "server": "127.0.0.1", "port": ej.c2s_port, "tls_cafile": ej.ca_file}
        ej.register("erin", "erinpw")                  # ejabberdctl register
        token = ej.issue_token("alice@localhost")      # ejabberdctl oauth_issue_token
        ej.ctl("registered_users", "localhost")        # any other ejabberdctl command

    ej = shared(ca=...)   # one instance per process, started on first use;
                          # stop_shared() (or the process's exit) stops it

Starting takes a few seconds (an Erlang VM), and so does every ejabberdctl
call (~1-3 s: another VM that talks to the node): start one per test module
or per run (shared()), never one per test, and register users once.

What it offers (attributes once started):
  c2s_port        STARTTLS required; after SASL, zlib compression (XEP-0138)
  direct_tls_port TLS from the first byte (XEP-0368 style); zlib too
  plain_port      with plaintext=True: a listener without any TLS (for tests
                  that natter refuses to send a password or token over it)
  host            "localhost"; pubsub_service "pubsub.localhost"
  ca_file         the CA that signed the server certificate (tls_cafile)
  cert_file, fingerprint ("sha256:..."), dir, config, log, users {jid: pw}
SASL mechanisms: PLAIN, SCRAM-SHA-1/256/512 (and -PLUS), X-OAUTH2 (tokens
with the "sasl_auth" scope, oauth_expire seconds by default).  Modules:
roster, disco, caps, ping, version, carbons, MAM, stream management,
registration, and PubSub (flat and pep plugins; any local user may create
nodes; the `authorize` model sends the owner a subscription form).

It runs as the unprivileged system user `ejabberd` that the Debian package
creates: started by root (which switches to it) or by that user; anyone else
gets EjabberdUnavailable, as does a machine without the package.  The Erlang
distribution listens on a free loopback port of its own (no epmd), so
several instances (another engineer's, the system's) never meet.

Only the Python standard library is used.  Every wait is bounded.
"""

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import fixture

LOOPBACK = fixture.LOOPBACK
EJABBERDCTL = "/usr/sbin/ejabberdctl"
MARKER = ".natter-ejabberd"
SYSTEM_USER = "ejabberd"

# Accounts every instance gets: {(user, host): password}.
DEFAULT_USERS = {
    ("alice", "localhost"): "alicepw",
    ("bob", "localhost"): "bobpw",
    ("carol", "localhost"): "carolpw",
    ("admin", "localhost"): "adminpw",
}

TIMEOUT_SCALE = float(os.environ.get("NATTER_TEST_TIMEOUT_SCALE", "1") or 1)


class EjabberdUnavailable(fixture.FixtureError):
    """ejabberd cannot run here (not installed, or not root nor its user)."""


def available():
    """None when an instance can be started here, else why not."""
    if not os.access(EJABBERDCTL, os.X_OK):
        return "ejabberd is not installed (apt-get install ejabberd erlang-p1-oauth2)"
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        return "there is no '%s' user (the ejabberd package makes it)" % SYSTEM_USER
    me = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() != 0 and me != SYSTEM_USER:
        return "ejabberdctl runs only as root or as the '%s' user, not as %s" % (
            SYSTEM_USER, me)
    return None


def _yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class EjabberdFixture:
    """An ejabberd in a temporary directory; see the module docstring."""

    def __init__(self, directory=None, users=None, admins=("admin@localhost",), ca=None,
                 plaintext=False, oauth_expire=3600, start_timeout=60.0, verbose=False):
        self._own_dir = directory is None
        self.dir = directory
        self.users = {}
        self._want_users = dict(DEFAULT_USERS if users is None else users)
        self.admins = list(admins)
        self._ca = ca  # (ca.crt, ca.key) to sign with, or None: a CA of its own
        self.plaintext = plaintext
        self.oauth_expire = oauth_expire
        self.start_timeout = start_timeout
        self.verbose = verbose
        self.host = "localhost"
        self.pubsub_service = "pubsub." + self.host
        self.node = "natter%s@localhost" % secrets.token_hex(4)
        self.plain_port = None
        self.proc = None
        self.timings = {}  # seconds: "start", "register", "stop"
        self._stdout = None
        self._torn_down = False
        self._uid = self._gid = None

    # -- set-up ---------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Certificate, configuration, the server, then the users."""
        why = available()
        if why:
            raise EjabberdUnavailable(why)
        with fixture._live_lock:
            fixture._live.add(self)
        fixture._install_cleanup_handlers()
        try:
            t0 = time.monotonic()
            self._prepare_dir()
            self._certificate()
            last = None
            for _ in range(3):  # a free port can be taken between probe and bind
                self._pick_ports()
                self._write_config()
                try:
                    self._launch()
                    break
                except fixture.FixtureError as e:
                    last = e
                    self._kill()
                    if "eaddrinuse" not in str(e).lower():
                        break
            if self.proc is None:
                raise last
            self.timings["start"] = time.monotonic() - t0
            t0 = time.monotonic()
            self.register_many(self._want_users)
            self.timings["register"] = time.monotonic() - t0
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare_dir(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="natter-ejabberd-")
        else:
            self.dir = os.path.abspath(self.dir)
            if os.path.isdir(self.dir) and os.listdir(self.dir):
                if not os.path.exists(os.path.join(self.dir, MARKER)):
                    raise fixture.FixtureError("%s is not empty and was not made by "
                                               "ejabberd.py; refusing to use it" % self.dir)
                shutil.rmtree(self.dir)
            os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        open(os.path.join(self.dir, MARKER), "w").close()
        for sub in ("db", "logs", "certs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.config = os.path.join(self.dir, "ejabberd.yml")
        self.ctl_config = os.path.join(self.dir, "ejabberdctl.cfg")
        self.log = os.path.join(self.dir, "logs", "ejabberd.log")
        self.stdout_log = os.path.join(self.dir, "ejabberd.stdout")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SYSTEM_USER)
            self._uid, self._gid = pw.pw_uid, pw.pw_gid

    def _certificate(self):
        certs = os.path.join(self.dir, "certs")
        if self._ca:
            self.ca_file, ca_key = self._ca
        else:
            self.ca_file, ca_key = fixture.make_ca(os.path.join(self.dir, "ca"))
        self.cert_file, key = fixture.issue_certificate(self.ca_file, ca_key, certs)
        self.fingerprint = fixture.cert_fingerprint(self.cert_file)
        # ejabberd wants the certificate and its key in one PEM file.
        self.pem_file = os.path.join(certs, "server.pem")
        with open(self.pem_file, "w") as out:
            for path in (self.cert_file, key):
                with open(path) as f:
                    out.write(f.read())
        os.chmod(self.pem_file, 0o600)

    def _pick_ports(self):
        socks = []
        try:
            for _ in range(4):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((LOOPBACK, 0))
                socks.append(s)
            ports = [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
        self.c2s_port, self.direct_tls_port, self.dist_port, plain = ports
        self.plain_port = plain if self.plaintext else None

    def _write_config(self):
        d = self.dir
        listen = [
            ("# STARTTLS required; zlib is offered after SASL (XEP-0138).",
             self.c2s_port, ["starttls_required: true", "zlib: true"]),
            ("# TLS from the first byte.", self.direct_tls_port, ["tls: true", "zlib: true"]),
        ]
        if self.plain_port:
            listen.append(("# No TLS at all: for tests of what natter refuses to send.",
                           self.plain_port, ["zlib: true"]))
        lines = [
            "# Generated by natter tests/lib/ejabberd.py: a throwaway test server.",
            "hosts:",
            "  - %s" % _yaml_str(self.host),
            "loglevel: %s" % ("debug" if self.verbose else "info"),
            "hide_sensitive_log_data: false",
            "certfiles:",
            "  - %s" % _yaml_str(self.pem_file),
            "listen:",
        ]
        for comment, port, opts in listen:
            lines += ["  %s" % comment,
                      "  -",
                      "    port: %d" % port,
                      '    ip: "127.0.0.1"',
                      "    module: ejabberd_c2s",
                      "    max_stanza_size: 1048576",
                      "    access: c2s"]
            lines += ["    " + o for o in opts]
        lines += [
            "auth_method: internal",
            "auth_password_format: plain",
            "oauth_expire: %d" % self.oauth_expire,
            "oauth_access: all",
            "acl:",
            "  admin:",
            "    user:",
        ] + ["      - %s" % _yaml_str(a) for a in self.admins] + [
            "  local:",
            '    user_regexp: ""',
            "access_rules:",
            "  local:",
            "    allow: local",
            "  c2s:",
            "    allow: all",
            "  register:",
            "    allow: all",
            "  pubsub_createnode:",
            "    allow: local",
            "modules:",
            "  # mod_pubsub does not start without mod_caps (and ejabberdctl",
            "  # start would not say so: only the log does).",
            "  mod_caps: {}",
            "  mod_disco: {}",
            "  mod_roster: {}",
            "  mod_ping: {}",
            "  mod_version:",
            "    show_os: false",
            "  mod_carboncopy: {}",
            "  mod_mam: {}",
            "  mod_offline: {}",
            "  mod_register:",
            "    access: register",
            "  mod_stream_mgmt:",
            "    resume_timeout: 60",
            "  mod_pubsub:",
            "    access_createnode: pubsub_createnode",
            "    plugins:",
            '      - "flat"',
            '      - "pep"',
        ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        # ejabberdctl reads its own settings from --ctl-config; without it,
        # Debian's /etc/ejabberd/ejabberdctl.cfg would point --config back at
        # the system's ejabberd.yml.  ERL_DIST_PORT: the node and every
        # ejabberdctl call meet on this port, with no epmd.
        with open(self.ctl_config, "w") as f:
            f.write("ERL_DIST_PORT=%d\n"
                    "INET_DIST_INTERFACE=127.0.0.1\n"
                    "ERL_EPMD_ADDRESS=127.0.0.1\n"
                    "EJABBERD_PID_PATH=%s\n"
                    "EJABBERD_BYPASS_WARNINGS=true\n"
                    "CONTRIB_MODULES_CONF_DIR=%s\n"
                    'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\n'
                    % (self.dist_port, os.path.join(d, "ejabberd.pid"),
                       os.path.join(d, "modules.d")))
        with open(os.path.join(d, "inetrc"), "w") as f:
            f.write('{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n')
        os.makedirs(os.path.join(d, "modules.d"), exist_ok=True)
        if self._uid is not None:
            for root, dirs, files in os.walk(d):
                for name in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(name, self._uid, self._gid)

    def _ctl_argv(self, *args):
        d = self.dir
        return [EJABBERDCTL, "--config-dir", d, "--config", self.config,
                "--ctl-config", self.ctl_config, "--spool", os.path.join(d, "db"),
                "--logs", os.path.join(d, "logs"), "--node", self.node] + list(args)

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERL", "EJABBERD"))}
        # The Erlang cookie lives in $HOME: the instance's own directory.
        env.update(HOME=self.dir, LC_ALL="C.UTF-8")
        return env

    def _preexec(self):
        if self._uid is not None:
            os.setgroups([])
            os.setgid(self._gid)
            os.setuid(self._uid)
        fixture._die_with_parent()  # after setuid(), which clears it

    def _launch(self):
        self._stdout = open(self.stdout_log, "ab")
        self.proc = subprocess.Popen(
            self._ctl_argv("foreground"), cwd=self.dir, env=self._env(),
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=self._preexec)
        deadline = time.monotonic() + self.start_timeout * TIMEOUT_SCALE
        ports = [self.c2s_port, self.direct_tls_port] + (
            [self.plain_port] if self.plain_port else [])
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise fixture.FixtureError("ejabberd exited with %s during start-up:\n%s"
                                           % (self.proc.returncode, self.tail()))
            if self._log_says("is started in the node") and all(
                    fixture.port_open(p) for p in ports):
                break
            time.sleep(0.1)
        else:
            raise fixture.FixtureError("ejabberd did not start within %.0f s:\n%s" % (
                self.start_timeout * TIMEOUT_SCALE, self.tail()))
        # A module that fails to start leaves the server running without it.
        for bad in ("Failed to start module", "Invalid value", "Unknown option"):
            if self._log_says(bad):
                raise fixture.FixtureError("ejabberd started with errors:\n%s" % self.tail())

    def _log_says(self, text):
        try:
            with open(self.log, errors="replace") as f:
                return text in f.read()
        except OSError:
            return False

    # -- ejabberdctl ------------------------------------------------------------

    def ctl(self, *args, timeout=60):
        """Runs one ejabberdctl command against this instance; its output."""
        try:
            r = subprocess.run(self._ctl_argv(*args), cwd=self.dir, env=self._env(),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout * TIMEOUT_SCALE, preexec_fn=self._preexec)
        except subprocess.TimeoutExpired:
            raise fixture.FixtureError("ejabberdctl %s timed out" % " ".join(args)) from None
        if r.returncode != 0:
            raise fixture.FixtureError("ejabberdctl %s failed (%d): %s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout.strip()

    def register(self, user, password, host=None):
        """Creates (or resets the password of) user@host (default host: localhost)."""
        host = host or self.host
        jid = "%s@%s" % (user, host)
        try:
            self.ctl("register", user, host, password)
        except fixture.FixtureError as e:
            if "already registered" not in str(e):
                raise
            self.ctl("change_password", user, host, password)
        self.users[jid] = password
        return jid

    def register_many(self, users):
        """register() for {(user, host): password}, in parallel (each call
        starts an Erlang VM)."""
        errors = []

        def one(user, host, password):
            try:
                self.register(user, password, host)
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=one, args=(u, h, p), daemon=True)
                   for (u, h), p in users.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120 * TIMEOUT_SCALE)
        if errors:
            raise errors[0]

    def issue_token(self, jid, ttl=3600, scopes="sasl_auth"):
        """An OAuth token for jid that X-OAUTH2 accepts (scope sasl_auth)
        for ttl seconds: `ejabberdctl oauth_issue_token`."""
        out = self.ctl("oauth_issue_token", jid, str(int(ttl)), scopes)
        # "TOKEN\tSCOPES\tEXPIRES" (tab-separated, one line)
        token = out.split()[0] if out else ""
        if not token or "error" in out.lower():
            raise fixture.FixtureError("oauth_issue_token gave %r" % out)
        return token

    def revoke_token(self, token):
        self.ctl("oauth_revoke_token", token)

    # -- information ------------------------------------------------------------

    def tail(self, n=40):
        """Last lines of ejabberd's log and console output, for failure messages."""
        out = []
        for path in (getattr(self, "stdout_log", None), getattr(self, "log", None)):
            if path and os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("==> %s <==\n%s" % (path, "".join(f.readlines()[-n:])))
        return "\n".join(out)

    def info(self):
        return {
            "dir": self.dir, "config": self.config, "log": self.log,
            "pid": self.proc.pid if self.proc else None, "host": LOOPBACK,
            "c2s_port": self.c2s_port, "direct_tls_port": self.direct_tls_port,
            "plain_port": self.plain_port, "ca_file": self.ca_file,
            "cert_file": self.cert_file, "fingerprint": self.fingerprint,
            "pubsub_service": self.pubsub_service, "users": dict(self.users),
        }

    # -- tear-down ------------------------------------------------------------

    def _kill(self):
        if self.proc is not None:
            # A throwaway needs no orderly stop, and SIGKILL takes no time.
            # The Erlang VM first, so that ejabberdctl's shell, its parent,
            # reaps it and ends; then whatever is left of the session.
            pgid = self.proc.pid
            for pid in self._group(pgid):
                if pid != pgid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            deadline = time.monotonic() + 5
            while self._group(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.proc = None
        if self._stdout:
            self._stdout.close()
            self._stdout = None

    @staticmethod
    def _group(pgid):
        """The live (not zombie) processes of process group pgid."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(pid))
        return out

    def stop(self):
        """Stops ejabberd and removes the directory (only what this fixture made)."""
        if self._torn_down:
            return
        self._torn_down = True
        t0 = time.monotonic()
        self._kill()
        if self.dir and os.path.exists(os.path.join(self.dir, MARKER)):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - t0
        with fixture._live_lock:
            fixture._live.discard(self)


_shared = None
_shared_lock = threading.Lock()


def shared(**kw):
    """The process's one ejabberd, started on the first call (with kw, e.g.
    ca=(ca_file, ca_key_file)); later calls return it as it is.  Raises
    EjabberdUnavailable (or FixtureError) when it cannot start, every time."""
    global _shared
    with _shared_lock:
        if _shared is None:
            ej = EjabberdFixture(**kw)
            ej.start()
            _shared = ej
        return _shared


def stop_shared():
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
