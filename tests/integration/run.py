#!/usr/bin/python3
"""natter integration suite: real natter binaries against one throwaway Prosody.

    tests/integration/run.py --natter ./natter [-k PATTERN] [-v] [--timeout SECONDS]

Starts one Prosody (tests/lib/fixture.py) for the whole run (and the tests
that need ejabberd share one, tests/lib/ejabberd.py), runs every
tests/integration/test_*.py with unittest, and ends with the line
`N passed, N failed` (`, N skipped` when any).  Exit status 0 only when
nothing failed.  The whole run is bounded by --timeout: when it expires the
running natter processes and Prosody are killed and the run fails.
"""

import argparse
import os
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean (VPATH builds, CI)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import ejabberd  # noqa: E402
import fixture  # noqa: E402
import natter as driver  # noqa: E402


class _Result(unittest.TextTestResult):
    """Prints each test's outcome and duration on one line."""

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def _line(self, test, word):
        self.stream.writeln("%-6s %-62s %5.1fs" % (word, test.id().replace("test_", "", 1),
                                                   time.monotonic() - self._t0))
        self.stream.flush()

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self._line(test, "ok")

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._line(test, "FAIL")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        self._line(test, "ERROR")

    def addSkip(self, test, reason):
        unittest.TestResult.addSkip(self, test, reason)
        self._line(test, "skip")
        self.stream.writeln("       (%s)" % reason)

    def addUnexpectedSuccess(self, test):
        unittest.TestResult.addUnexpectedSuccess(self, test)
        self._line(test, "XPASS")

    def addExpectedFailure(self, test, err):
        unittest.TestResult.addExpectedFailure(self, test, err)
        self._line(test, "xfail")


def _watchdog(seconds, done):
    """Kill everything and fail the run if it is still going after seconds."""
    if done.wait(seconds):
        return
    sys.stdout.write("\nglobal timeout: the integration run took more than %d s; "
                     "killing natter and Prosody\n" % seconds)
    driver.kill_all()
    fixture.cleanup_all()
    sys.stdout.write("0 passed, 1 failed\n")
    sys.stdout.flush()
    os._exit(3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natter", required=True, help="natter binary to test")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="only tests whose name contains this (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="Prosody debug log")
    ap.add_argument("--timeout", type=float, default=600 * driver.TIMEOUT_SCALE,
                    help="global time limit in seconds (default 600)")
    ap.add_argument("--keep-going", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    natter_bin = os.path.abspath(args.natter)
    if not (os.path.isfile(natter_bin) and os.access(natter_bin, os.X_OK)):
        print("run.py: %s is not an executable file" % args.natter, file=sys.stderr)
        print("0 passed, 1 failed")
        return 2

    done = threading.Event()
    threading.Thread(target=_watchdog, args=(args.timeout, done), daemon=True).start()
    t0 = time.monotonic()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    if suite.countTestCases() == 0:
        print("run.py: no tests selected")
        print("0 passed, 1 failed")
        return 2

    try:
        fx = fixture.ProsodyFixture(verbose=args.verbose, http=True)
        fx.start()
    except Exception as e:  # no server: every test would fail the same way
        print("run.py: could not start Prosody: %s" % e)
        print("0 passed, 1 failed")
        return 2
    print("Prosody %s: c2s %d, direct TLS %d (dir %s); natter %s" % (
        fx.proc.pid, fx.c2s_port, fx.direct_tls_port, fx.dir, natter_bin))
    sys.stdout.flush()
    driver.NatterTestCase.fx = fx
    driver.NatterTestCase.natter_bin = natter_bin

    try:
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0,
                                         resultclass=_Result)
        result = runner.run(suite)
    except KeyboardInterrupt:
        print("\ninterrupted")
        print("0 passed, 1 failed")
        return 130
    finally:
        driver.kill_all()
        # The ejabberd that test modules share (tests/lib/ejabberd.py), if one started.
        ejabberd.stop_shared()
        log_tail = fx.tail(60)
        fx.stop()
        done.set()

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    if failed:
        print("\n(Prosody log tail at the end of the run)\n" + log_tail)
    print("integration suite: %.1f s" % (time.monotonic() - t0))
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
