#!/bin/bash
# make demo's script brings the perimeter up on loopback, the commands it
# prints work as printed, and stopping it removes everything it made.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink slappasswd

set -- $(free_ports 2)
export DEMO_PORT=$1 DEMO_SINK_PORT=$2
TMPDIR=$TEST_TMP bg_start demo sh "$SRCDIR/share/demo.sh" "$POSTERN_BUILD"
for i in $(seq 1 100); do grep -q "^demo: ready" "$TEST_TMP/demo.log" && break; sleep 0.1; done
work=$(sed -n 's/^postern demo is up (files in \(.*\))$/\1/p' "$TEST_TMP/demo.log")

test_expect_success 'the demo comes up and says what to try' '
	test_grep -q "^demo: ready" "$TEST_TMP/demo.log" &&
	test -d "$work" &&
	test_grep -q "swaks --server 127.0.0.1:$DEMO_PORT --tls --to alice@demo.test" "$TEST_TMP/demo.log"
'

# The lines under "Try:", run as printed.
sed -n "/^Try:/,/^Ctrl-C/p" "$TEST_TMP/demo.log" | sed -n "s/^  //p" | sed "s/ *#.*//" >"$TEST_TMP/try"

test_expect_success 'the printed swaks command delivers over STARTTLS' '
	cmd=$(sed -n 1p try) && eval "$cmd" >out 2>&1 &&
	test_grep -q "<~  250 2.0.0 Ok" out &&
	for i in $(seq 1 50); do ls "$work/mail" | grep -q . && break; sleep 0.1; done &&
	f=$(ls "$work"/mail/* | head -1) &&
	test_grep -q "by mail.demo.test (postern smtp-edge) with ESMTPS" "$f"
'

test_expect_success 'the unknown user is refused as printed' '
	cmd=$(sed -n 2p try) && { eval "$cmd" >out 2>&1; true; } &&
	test_grep -q "<\*\* 550 5.1.1" out
'

test_expect_success 'mtls-probe as printed: the self-signed certificate is Untrusted' '
	cmd=$(sed -n 3p try) && { eval "$cmd" >out 2>&1; true; } &&
	test_grep -q "^Untrusted TLS connection established to 127.0.0.1" out
'

test_expect_success 'certsel --list as printed shows the generated certificate' '
	cmd=$(sed -n 4p try) && eval "$cmd" >out 2>&1 &&
	test_grep -q "mail.demo.test.pem" out
'

test_expect_success 'stopping the demo removes what it made' '
	kill -TERM $(cat "$TEST_TMP/demo.pid") &&
	for i in $(seq 1 50); do test -d "$work" || break; sleep 0.1; done &&
	! test -d "$work" &&
	! pgrep -f "$work" >/dev/null
'

test_done
