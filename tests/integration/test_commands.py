"""Headless commands: help, refused commands, wrong arguments."""

from natter import NatterTestCase


class TestCommands(NatterTestCase):

    def test_help_lists_commands(self):
        n = self.connected("alice@localhost")
        mark = n.mark()
        n.send("/help")
        ev = n.expect("info", timeout=5, since=mark)
        text = " ".join(e.get("text", "") for e in n.events[mark:] if e.get("event") == "info")
        for cmd in ("/msg", "/quit", "/version", "/ping"):
            self.assertIn(cmd, text, "/help does not mention %s: %s" % (cmd, ev))
        n.quit()

    def test_unknown_command_is_an_error_and_natter_keeps_running(self):
        n = self.connected("alice@localhost")
        mark = n.mark()
        n.send("/frobnicate now")
        ev = n.expect("error", timeout=5, since=mark)
        self.assertTrue(ev.get("text"), ev)
        self.assertIsNone(n.find("disconnected", since=mark), n.report())
        mark = n.mark()
        n.send("/help")
        n.expect("info", timeout=5, since=mark, what="still answering after the error")
        n.quit()

    def test_wrong_arguments_are_errors(self):
        n = self.connected("alice@localhost")
        for cmd in ("/msg", "/version", "/msg alice@ hello", "/msg @localhost hello",
                    "/ping a b c d"):
            mark = n.mark()
            n.send(cmd)
            ev = n.expect("error", timeout=5, since=mark, what="for %r" % cmd)
            self.assertTrue(ev.get("text"), ev)
        mark = n.mark()
        n.send("/help")
        n.expect("info", timeout=5, since=mark, what="still answering after the errors")
        self.assertIsNone(n.find("disconnected"), n.report())
        n.quit()

    def test_say_without_open_chat_is_an_error(self):
        n = self.connected("alice@localhost")
        mark = n.mark()
        n.send("/say hello nobody")
        n.expect("error", timeout=5, since=mark)
        n.quit()
