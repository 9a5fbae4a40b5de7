"""Two natter clients (and the echo bot) talking to each other."""

import os
import subprocess
import threading

from natter import NatterTestCase, scaled, _die_with_parent

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")


def bare(jid):
    return (jid or "").split("/")[0].lower()


class TestPeers(NatterTestCase):

    def test_two_clients_exchange_messages(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob = self.connected("bob@localhost", resource="bobres")
        alice.send("/msg bob@localhost hello bob, ünïcode & <xml>")
        ev = bob.expect("message", lambda e: "hello bob" in e.get("body", ""), timeout=10)
        self.assertEqual(ev.get("body"), "hello bob, ünïcode & <xml>", ev)
        self.assertEqual(ev.get("from"), "alice@localhost/alires", ev)
        self.assertEqual(bare(ev.get("to")), "bob@localhost", ev)
        self.assertEqual(ev.get("type"), "chat", ev)
        bob.send("/msg alice@localhost/alires hi alice")
        ev = alice.expect("message", lambda e: e.get("body") == "hi alice", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        alice.send("/say and again")
        bob.expect("message", lambda e: e.get("body") == "and again", timeout=10,
                   what="/say goes to the chat /msg opened")
        alice.quit()
        bob.quit()

    def test_version_and_ping_between_clients(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob = self.connected("bob@localhost", resource="bobres")
        alice.send("/version bob@localhost/bobres")
        ev = alice.expect("version", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        self.assertEqual(str(ev.get("name", "")).lower(), "natter", ev)
        self.assertTrue(ev.get("version"), ev)
        alice.send("/ping bob@localhost/bobres")
        ev = alice.expect("pong", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        self.assertIsInstance(ev.get("rtt_ms"), (int, float), ev)
        self.assertGreaterEqual(ev["rtt_ms"], 0, ev)
        alice.send("/ping")
        ev = alice.expect("pong", timeout=10, what="from the server")
        self.assertEqual(ev.get("from"), "localhost", ev)
        alice.send("/version localhost")
        ev = alice.expect("version", timeout=10, what="from Prosody")
        self.assertEqual(ev.get("name"), "Prosody", ev)
        alice.quit()
        bob.quit()

    def test_echo_bot(self):
        bot = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(LIB, "echobot.py"),
             "--jid", "carol@localhost/bot", "--password", self.fx.users["carol@localhost"],
             "--host", "127.0.0.1", "--port", str(self.fx.c2s_port),
             "--cafile", self.fx.ca_file],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, preexec_fn=_die_with_parent)
        output = []
        ready = threading.Event()

        def read():
            for line in bot.stdout:
                output.append(line)
                if line.startswith("ready"):
                    ready.set()
        threading.Thread(target=read, daemon=True).start()
        try:
            self.assertTrue(ready.wait(scaled(20)), "echo bot did not log in:\n" + "".join(output))
            alice = self.connected("alice@localhost")
            alice.send("/msg carol@localhost hello bot")
            ev = alice.expect("message", lambda e: e.get("body") == "echo: hello bot",
                              timeout=10)
            self.assertEqual(ev.get("from"), "carol@localhost/bot", ev)
            alice.quit()
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=5)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait(timeout=5)
