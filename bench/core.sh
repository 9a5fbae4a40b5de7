#!/bin/sh
# Runs the core benchmark, then (when valgrind is installed) once more under
# callgrind for the instructions each section costs: counts that hold on a
# busy machine, where CPU times do not.
# Usage: bench/core.sh ./bench/core
set -e
prog=${1:?usage: $0 BENCH-CORE-PROGRAM}
"$prog"
command -v valgrind >/dev/null 2>&1 || { echo "(valgrind not installed: no instruction counts)"; exit 0; }
out=$(mktemp -d "${TMPDIR:-/tmp}/natter-bench-cg-XXXXXX")
trap 'rm -rf "$out"' EXIT
valgrind -q --tool=callgrind --callgrind-out-file="$out/cg.%p" \
	"$prog" >/dev/null
echo
printf '  %-52s %18s\n' "instructions (callgrind)" ""
for f in "$out"/cg.*.*; do
	[ -f "$f" ] || continue
	name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
	n=$(sed -n 's/^summary: //p' "$f")
	printf '  %-52s %18s\n' "$name" "$(printf '%s' "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
done
