#!/bin/bash
# scl-score as a filter: the output is the input with X-Postern-SCL and
# X-Postern-Spam first, byte for byte (LF and CRLF, mbox From_ line kept
# first); fields of those names and X-MS-Exchange-Organization-SCL from
# outside are removed, folded ones whole; the Exchange header name on
# request; EPIPE on stdout; -n.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need readelf

scl_setup || bail "cannot train the test model"

test_expect_success 'the output is the two fields then the input, byte for byte' '
	in=$(scl_one spam) &&
	scl-score -c "$SCL_CONF" <"$in" >out &&
	head -n 2 out >fields &&
	test_grep -Eq "^X-Postern-SCL: [5-9]$" fields &&
	sed -n 2p fields | test_grep -Eq "^X-Postern-Spam: p=0\.[0-9]{4}; action=(junk|reject); reason=model$" &&
	tail -n +3 out | cmp - "$in"
'

test_expect_success 'the filter command word does the same' '
	scl-score -c "$SCL_CONF" filter <"$(scl_one ham)" >out &&
	head -n 1 out | test_grep -Eq "^X-Postern-SCL: [0-4]$" &&
	tail -n +3 out | cmp - "$(scl_one ham)"
'

test_expect_success 'CRLF messages get CRLF fields and stay byte for byte' '
	sed "s/\$/\r/" "$(scl_one ham)" >crlf.msg &&
	scl-score -c "$SCL_CONF" <crlf.msg >out &&
	head -n 2 out | od -c | test_grep -q "\\\\r  \\\\n" &&
	test "$(head -n 2 out | tr -cd "\r" | wc -c)" = 2 &&
	tail -n +3 out | cmp - crlf.msg
'

test_expect_success 'fields of our names (and the Exchange SCL) from outside are removed, folded lines too' '
	{ printf "X-Postern-SCL: -1\nSubject: hi\nx-postern-spam : p=0; action=deliver\n\tfolded; more\n"
	  printf "X-MS-Exchange-Organization-SCL: -1\nX-Postern-SCLX: kept\n\nX-Postern-SCL: body line\n"; } >forged.msg &&
	scl-score -c "$SCL_CONF" <forged.msg >out &&
	test "$(grep -ci "^x-postern-scl:" out)" = 2 &&
	test "$(grep -ci "^x-postern-spam" out)" = 1 &&
	! grep -q "folded; more" out &&
	! grep -q "^X-MS-Exchange-Organization-SCL" out &&
	tail -n 4 out >rest &&
	printf "Subject: hi\nX-Postern-SCLX: kept\n\nX-Postern-SCL: body line\n" >want &&
	test_cmp want rest
'

test_expect_success 'exchange_header adds X-MS-Exchange-Organization-SCL and removes one from outside' '
	scl_conf exch.json "\"exchange_header\": true" &&
	scl-score -c exch.json <forged.msg >out &&
	test "$(grep -c "^X-MS-Exchange-Organization-SCL:" out)" = 1 &&
	sed -n 3p out | test_grep -Eq "^X-MS-Exchange-Organization-SCL: [0-9]$" &&
	sed -n 1p out | sed "s/X-Postern-SCL/X-MS-Exchange-Organization-SCL/" >a && sed -n 3p out >b &&
	test_cmp a b
'

test_expect_success 'an mbox From_ line stays first' '
	{ echo "From someone@example.test Mon Mar  2 10:00:00 2026"; cat "$(scl_one ham)"; } >from.msg &&
	scl-score -c "$SCL_CONF" <from.msg >out &&
	head -n 1 out | test_grep -q "^From someone@example.test " &&
	sed -n 2p out | test_grep -q "^X-Postern-SCL: " &&
	{ head -n 1 out; tail -n +4 out; } | cmp - from.msg
'

test_expect_success 'an empty message gets the fields' '
	scl-score -c "$SCL_CONF" </dev/null >out &&
	test $(wc -l <out) = 2 && test_grep -q "^X-Postern-SCL: " out
'

test_expect_success 'EPIPE on stdout: exit 74 and the reason, no signal death' '
	{ cat "$(scl_one ham)"; head -c 2000000 /dev/zero | tr "\0" "a" | fold -w 76; } >big.msg &&
	{ scl-score -c "$SCL_CONF" <big.msg 2>err; echo $? >rc; } | head -c 10 >/dev/null &&
	test "$(cat rc)" = 74 &&
	test_grep -q "cannot copy the message: Broken pipe" err
'

test_expect_code 78 '-n with an out-of-range threshold exits 78' '
	scl_conf bad.json "\"reject_threshold\": 12" &&
	scl-score -c bad.json -n 2>err; rc=$?; test_grep -q "reject_threshold" err >&2 && exit $rc
'

test_expect_code 78 '-n with an unknown key exits 78' '
	scl_conf bad2.json "\"rejectthreshold\": 7" &&
	scl-score -c bad2.json -n
'

test_expect_success '-n with a good config exits 0' '
	scl-score -c "$SCL_CONF" -n 2>err && test_grep -q "config ok" err
'

# A process per message: the libraries loaded at start-up are most of its
# cost, so the filter links neither libcrypto (its SHA-256 is util/sha256)
# nor libldap (lib/dir loads it when an ldap directory opens).
# A process per message: every shared library is a load at each start.
# libjansson is linked in, libm not needed (spam/fmath.h), libldap and
# the iconv modules loaded only when used (the sanitizers' own runtime
# libraries aside).
test_expect_success 'scl-score needs no shared library but libc' '
	readelf -d "$BIN/scl-score" >dyn &&
	sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1/p" dyn |
		grep -v -e "^libasan" -e "^libubsan" >needed &&
	echo libc.so.6 >expect &&
	test_cmp expect needed
'

test_done
