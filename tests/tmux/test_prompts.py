"""Questions the UI asks before it can connect: an untrusted certificate and
a missing password."""

import os
import re
import time

from run import TmuxTestCase


class TestPrompts(TmuxTestCase):

    def test_tls_trust_pins_and_connects(self):
        ui = self.ui(connected=False, tls_cafile=None)
        ui.wait_text("type /tls trust", timeout=15)
        self.assertNotIn("online", ui.status_line(), ui.dump())
        # Tab on the empty console line offers the answer.
        ui.keys("Tab")
        ui.wait_input("/tls trust")
        ui.keys("Enter")
        ui.wait_status("online", timeout=15)
        ui.wait_text("for account test")
        with open(os.path.join(ui.home, "config", "natter", "accounts")) as f:
            accounts = f.read()
        self.assertIn("tls_fingerprint", accounts)
        self.assertIn(self.fx.fingerprint.split(":", 1)[1], accounts.lower().replace(":", ""))

    def test_password_prompt_hides_what_is_typed(self):
        ann, = self.users("pw", "ann")
        secret = "annpwpw"  # users() gives <user>pw
        ui = self.ui(jid=ann, connected=False, password=None)
        prompt = "password for %s:" % ann
        ui.wait(lambda s: s.input_line().rstrip() == prompt, "the password prompt")
        # Esc cancels, and says how to come back.
        ui.type("wrong")
        ui.keys("Escape")
        ui.wait_text("/connect asks for the password again")
        ui.wait(lambda s: s.input_line().startswith("console>"), "the prompt closed")
        self.assertNotIn("online", ui.status_line(), ui.dump())
        ui.line("/connect")
        ui.wait(lambda s: s.input_line().rstrip() == prompt, "the prompt again on /connect")
        ui.type(secret)
        time.sleep(0.3)
        self.assertEqual(ui.input_line().rstrip(), prompt, ui.dump())
        self.assertEqual(ui.cursor(), (len(prompt) + 1, ui.rows - 1), ui.dump())
        ui.keys("Enter")
        ui.wait_status("online", timeout=15)
        self.assertNotIn(secret, ui.text(), ui.dump())
        self.assertNotIn("wrong", ui.text(), ui.dump())
        # Never kept in the input history either.
        ui.keys("Up")
        time.sleep(0.2)
        self.assertNotIn(secret, ui.input_line(), ui.dump())
        ui.keys("Up")
        time.sleep(0.2)
        self.assertNotIn(secret, ui.input_line(), ui.dump())
        ui.keys("C-u")
        self.assertNotIn(secret, ui.log_text())
