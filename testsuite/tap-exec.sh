#!/bin/sh
# prove runs each test through this: it runs the test (a TAP shell script
# or a unit-test binary) and keeps a copy of its TAP and exit code for the
# final count in run-tests.sh.
t=$1
name=$(basename "$t")
case $t in *.sh) set -- bash "$t" ;; *) set -- "$t" ;; esac
[ -n "${TAP_RESULTS:-}" ] || exec "$@"
out=$TAP_RESULTS/$name
{ "$@" 2>&1; echo $? >"$out.rc"; } | tee "$out.tap"
exit "$(cat "$out.rc")"
