"""A burst of incoming messages must not starve the keyboard."""

import threading
import time

from run import TmuxTestCase

FLOOD = 10000


class TestFlood(TmuxTestCase):

    def test_flood_leaves_input_responsive(self):
        ann, ben = self.users("flood")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        # Headlines, not chat messages: Prosody archives chat messages (MAM,
        # file storage) at a cost growing with the archive, which would make
        # the test measure Prosody rather than the UI.
        lines = "".join("/raw <message to='%s' type='headline'><body>flood %05d</body>"
                        "</message>\n" % (ann, i) for i in range(FLOOD)).encode()

        def write_all():
            try:
                peer.proc.stdin.write(lines)
                peer.proc.stdin.flush()
            except OSError:
                pass

        threading.Thread(target=write_all, daemon=True).start()
        # The flood has reached the UI: bob's window opened in the background.
        ui.wait_status("[2:", timeout=60)
        t0 = time.monotonic()
        ui.type("still responsive")
        ui.wait_input("console> still responsive", timeout=10)
        took = time.monotonic() - t0
        self.assertLess(took, 10, "typing took %.1f s during the flood" % took)
        ui.keys("C-u")
        ui.keys("M-2")
        ui.wait_text("flood %05d" % (FLOOD - 1), timeout=120)
        # Still usable afterwards: a reply gets through.
        ui.line("got them all")
        peer.expect("message", lambda e: e.get("body") == "got them all", timeout=30)
