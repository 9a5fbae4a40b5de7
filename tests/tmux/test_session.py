"""The status bar follows the connection."""

import os
import re

from run import TmuxTestCase


class TestSession(TmuxTestCase):

    def test_shows_connected_state(self):
        ui = self.ui()
        status = ui.status_line()
        self.assertIn("online", status, ui.dump())
        self.assertIn("alice@localhost/tmux", status, ui.dump())
        self.assertIn("[1:console]", status, ui.dump())
        ui.wait_text("connected as alice@localhost/tmux")
        self.assertTrue(ui.input_line().startswith("console>"), ui.dump())
        # The terminal's cursor sits in the input line, after the prompt.
        x, y = ui.cursor()
        self.assertEqual((x, y), (len("console> "), ui.rows - 1), ui.dump())

    def test_disconnect_and_quit(self):
        ui = self.ui()
        ui.line("/disconnect")
        ui.wait_status("offline")
        ui.line("/connect")
        ui.wait_status("online", timeout=15)
        self.assertEqual(ui.quit(), 0, ui.dump())

    def test_diagnostics_go_to_the_log_file(self):
        ui = self.ui(args=["--debug"])
        ui.line("/ping")
        ui.wait_text("pong from")
        self.assertNotIn("debug:", ui.text(), ui.dump())
        ui.wait(lambda s: "debug:" in s.log_text(), "debug lines in the log file")

    def test_no_color_means_attributes_only(self):
        colours = set(range(30, 39)) | set(range(40, 49)) | set(range(90, 98)) \
            | set(range(100, 108))
        ui = self.ui()
        self.assertTrue(ui.sgr_params() & colours, "the default theme uses colour")
        ui.quit()
        ui = self.ui(env={"NO_COLOR": "1"})
        ui.line("/nosuchcommand")
        ui.wait_text("unknown command")
        used = ui.sgr_params()
        self.assertFalse(used & colours, "colour with NO_COLOR set: %s" % sorted(used))
        self.assertIn(7, used, "the status bar is told apart by reverse video")

    def test_theme_list_and_load(self):
        ui = self.ui()
        themes = os.path.join(ui.home, "config", "natter", "themes")
        os.makedirs(themes)
        with open(os.path.join(themes, "dusk.theme"), "w") as f:
            f.write("text = cyan\n")
        ui.line("/theme list")
        ui.wait_text("/theme load NAME")
        listed = {}
        for l in ui.lines():
            m = re.search(r"([* ]) ([\w-]+) +(built-in|installed|yours)$", l)
            if m:
                listed[m.group(2)] = (m.group(1), m.group(3))
        for name in ("default", "light", "mono", "dusk"):
            self.assertIn(name, listed, ui.dump())
        self.assertEqual(listed["dusk"][1], "yours", ui.dump())
        self.assertEqual(listed["default"][0], "*", ui.dump())
        ui.line("/theme load light")
        ui.wait_text("ui.theme = light (saved)")
        ui.line("/theme mono")
        ui.wait_text("ui.theme = mono (saved)")
        ui.line("/theme load dusk")
        ui.wait_text("ui.theme = dusk (saved)")
        ui.line("/theme load nosuch")
        ui.wait_text("no theme called nosuch")
        # The choice is kept: natterrc says dusk, and a restart comes back in it.
        with open(os.path.join(ui.home, "config", "natter", "natterrc")) as f:
            self.assertIn("theme = dusk", f.read())
        self.assertEqual(ui.quit(), 0, ui.dump())
        ui.restart()
        ui.line("/theme list")
        ui.wait(lambda s: any(re.search(r"\* dusk +yours", l) for l in s.lines()),
                "dusk current after the restart")

    def test_help_lists_the_ui_commands(self):
        ui = self.ui(cols=160, rows=160)
        ui.line("/help")
        ui.wait_text("/quit")
        text = ui.text()
        for cmd in ("/win N|next|prev|JID", "/close", "/clear", "/theme NAME", "/theme list",
                    "/pane [show|hide|offline]", "/tls trust"):
            self.assertIn(cmd, text, ui.dump())
