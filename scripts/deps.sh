# shellcheck shell=bash
# Installs what natter needs to build, test and run its demo.  Sourced by
# scripts/quickstart and scripts/test-all; defines natter_install_deps.
#
#   natter_install_deps --build-only   build + demo packages
#   natter_install_deps --test         also what scripts/test-all needs (clang, fuzzer
#                                      runtime, ejabberd for the PubSub and token tests)
#
# Only packages that are not installed yet are installed (apt-get, with sudo
# when not root).  On a machine without apt-get nothing is installed and the
# missing packages are listed instead.  If this installs Prosody or ejabberd,
# the system service Debian starts (on port 5222) is stopped again: natter's
# tests and demo run their own throwaway servers on free loopback ports.

NATTER_DEPS_BUILD="build-essential autoconf automake libtool pkg-config libncurses-dev
libstrophe-dev libssl-dev libsqlite3-dev libcmocka-dev uthash-dev
libjansson-dev libidn2-dev libexpat1-dev libcurl4-openssl-dev libomemo-c-dev"
NATTER_DEPS_RUN="tmux prosody lua-unbound openssl python3 python3-slixmpp python3-omemo
python3-oldmemo python3-xmlschema profanity"
# ejabberd: the integration suite's second server (tests/lib/ejabberd.py: PubSub's
# authorize model, X-OAUTH2, zlib); erlang-p1-oauth2 is only a Suggests of it,
# and without it `ejabberdctl oauth_issue_token` fails.
NATTER_DEPS_TEST="clang libclang-rt-14-dev valgrind clang-format ejabberd erlang-p1-oauth2"

# natter_pkg_installed PKG: true when dpkg says PKG is installed.
natter_pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

natter_install_deps() {
	local wanted="$NATTER_DEPS_BUILD $NATTER_DEPS_RUN" missing="" pkg sudo=""
	[ "${1:-}" = "--test" ] && wanted="$wanted $NATTER_DEPS_TEST"
	if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
		echo "deps: no apt-get here; install the equivalents of: $wanted" >&2
		return 0
	fi
	for pkg in $wanted; do
		natter_pkg_installed "$pkg" || missing="$missing $pkg"
	done
	if [ -z "$missing" ]; then
		echo "deps: all packages present"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "deps: missing packages:$missing; run as root or install sudo" >&2
			return 1
		fi
		sudo="sudo"
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq || return 1
	# Skip names this release does not know (e.g. the clang runtime on Ubuntu)
	# instead of failing the whole install.
	local known=""
	for pkg in $missing; do
		if apt-cache show "$pkg" >/dev/null 2>&1; then
			known="$known $pkg"
		else
			echo "deps: warning: package '$pkg' is not available here; skipping it" >&2
		fi
	done
	if [ -n "$known" ]; then
		# shellcheck disable=SC2086
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $known </dev/null || return 1
	fi
	case " $known " in
	*" prosody "*) natter_stop_system_prosody "$sudo" ;;
	esac
	case " $known " in
	*" ejabberd "*) natter_stop_system_ejabberd "$sudo" ;;
	esac
	if [ "${CI:-}" = "true" ]; then
		natter_stop_system_prosody "$sudo"
		natter_stop_system_ejabberd "$sudo"
	fi
	return 0
}

# natter_stop_system_prosody [SUDO]: stop (and do not start at boot) the
# Prosody service a package install may have started.
natter_stop_system_prosody() {
	local sudo="${1:-}"
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		if systemctl is-active --quiet prosody 2>/dev/null; then
			echo "deps: stopping the system Prosody service the package started"
			$sudo systemctl disable --now prosody >/dev/null 2>&1 || true
		fi
	elif [ -x /etc/init.d/prosody ]; then
		$sudo /etc/init.d/prosody stop >/dev/null 2>&1 || true
	fi
	# Last resort (containers without an init system): the daemon's own pidfile.
	if [ -r /run/prosody/prosody.pid ]; then
		local pid
		pid=$(cat /run/prosody/prosody.pid 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			$sudo kill "$pid" 2>/dev/null || true
		fi
	fi
}

# natter_stop_system_ejabberd [SUDO]: the same for the ejabberd service (its
# Erlang VM runs as the ejabberd user; the tests' own instances have other
# node names and directories and are left alone).
natter_stop_system_ejabberd() {
	local sudo="${1:-}"
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		if systemctl is-active --quiet ejabberd 2>/dev/null; then
			echo "deps: stopping the system ejabberd service the package started"
			$sudo systemctl disable --now ejabberd >/dev/null 2>&1 || true
		fi
	elif [ -x /etc/init.d/ejabberd ] && [ -r /run/ejabberd/ejabberd.pid ]; then
		$sudo /etc/init.d/ejabberd stop >/dev/null 2>&1 || true
	fi
}
