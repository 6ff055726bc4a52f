#!/bin/bash
# scl-score policy: allowed phrases force SCL 0 and blocked phrases SCL 9
# (case-insensitive, in RFC 2047 subjects and base64 bodies too); the
# thresholds pick delete, reject, quarantine, junk or deliver; bypass by
# the caller, by client IP and by exempt recipient gives SCL -1;
# safelist-hash is SHA-256 of the lowercased address, first 4 bytes.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need sha256sum base64

scl_setup || bail "cannot train the test model"
phr='"allowed_phrases": ["Project Phoenix"], "blocked_phrases": ["buy now", "Zürich deal"]'
scl_conf "$TEST_TMP/phr.json" "$phr"
ham=$(scl_one ham) spam=$(scl_one spam)

# field NAME FILE: the value of our field in scl-score's output.
field() { sed -n "s/^$1: //p" "$2" | head -n 1; }

test_expect_success 'a blocked phrase in the body forces 9 (any case)' '
	sed "\$a Last chance: BUY NOW while stocks last" "$ham" >m &&
	scl-score -c phr.json <m >out &&
	test "$(field X-Postern-SCL out)" = 9 &&
	field X-Postern-Spam out | test_grep -q "action=reject; reason=blocked-phrase$"
'

test_expect_success 'an allowed phrase forces 0, and wins over a blocked one' '
	sed "\$a about project PHOENIX, buy now" "$spam" >m &&
	scl-score -c phr.json check <m | test_grep -Eq "^scl=0 action=deliver p=" &&
	scl-score -c phr.json <m >out &&
	field X-Postern-Spam out | test_grep -q "reason=allowed-phrase$"
'

test_expect_success 'phrases are found in RFC 2047 subjects and base64 UTF-8 bodies' '
	{ printf "From: a@example.test\nSubject: =?UTF-8?B?%s?=\n\nhello\n" "$(printf "Buy Now" | base64)"; } >m1 &&
	scl-score -c phr.json check <m1 | test_grep -q "^scl=9 " &&
	{ printf "From: a@example.test\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	  printf "Content-Transfer-Encoding: base64\n\n%s\n" "$(printf "the ZÜRICH DEAL is on" | base64)"; } >m2 &&
	scl-score -c phr.json check <m2 >out &&
	test_grep -q "^scl=9 " out
'

test_expect_success 'thresholds decide the action for SCL 9' '
	sed "\$a buy now" "$ham" >nine.msg &&
	scl_conf t1.json "$phr" && scl-score -c t1.json check <nine.msg | test_grep -q "action=reject" &&
	scl_conf t2.json "$phr, \"delete_enabled\": true" &&
	scl-score -c t2.json check <nine.msg | test_grep -q "action=delete" &&
	scl_conf t3.json "$phr, \"reject_enabled\": false, \"quarantine_enabled\": true" &&
	scl-score -c t3.json check <nine.msg | test_grep -q "action=quarantine" &&
	scl_conf t4.json "$phr, \"reject_enabled\": false" &&
	scl-score -c t4.json check <nine.msg | test_grep -q "action=junk" &&
	scl_conf t5.json "$phr, \"reject_enabled\": false, \"junk_enabled\": false" &&
	scl-score -c t5.json check <nine.msg | test_grep -q "^scl=9 action=deliver"
'

test_expect_success 'junk_threshold: junk only above it' '
	s=$(scl-score -c "$SCL_CONF" check <"$spam" | sed "s/^scl=\([0-9]\).*/\1/") &&
	test "$s" -ge 5 &&
	scl_conf j1.json "\"junk_threshold\": $s, \"reject_enabled\": false" &&
	scl-score -c j1.json check <"$spam" | test_grep -q "^scl=$s action=deliver" &&
	scl_conf j2.json "\"junk_threshold\": $((s - 1)), \"reject_enabled\": false" &&
	scl-score -c j2.json check <"$spam" | test_grep -q "^scl=$s action=junk" &&
	scl_conf j3.json "\"reject_threshold\": $s" &&
	scl-score -c j3.json check <"$spam" | test_grep -q "^scl=$s action=reject"
'

test_expect_success '--bypass gives -1 and deliver, even over a blocked phrase' '
	scl-score -c phr.json --bypass <nine.msg >out &&
	test "$(field X-Postern-SCL out)" = -1 &&
	field X-Postern-Spam out | test_grep -q "action=deliver; reason=caller$" &&
	scl-score -c phr.json check --bypass <nine.msg | test_grep -q "^scl=-1 action=deliver "
'

test_expect_success 'allowed_ips bypass by address or prefix, IPv4 and IPv6' '
	scl_conf ip.json "\"allowed_ips\": [\"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\"]" &&
	scl-score -c ip.json --sender-ip 192.0.2.77 check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ip.json --sender-ip 2001:db8:1::5 check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ip.json --sender-ip 198.51.100.7 check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ip.json --sender-ip 198.51.100.8 check <"$spam" | test_grep -q "^scl=[5-9] " &&
	scl-score -c ip.json --sender-ip 192.0.3.1 check <"$spam" | test_grep -q "^scl=[5-9] " &&
	scl-score -c ip.json --sender-ip 2001:db9::1 check <"$spam" | test_grep -q "^scl=[5-9] "
'

test_expect_success 'exempt_recipients bypass when every recipient is exempt' '
	scl_conf ex.json "\"exempt_recipients\": [\"@example.test\", \"postmaster@example.org\", \"example.net\"]" &&
	scl-score -c ex.json --recipient bob@Example.TEST check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ex.json --recipient POSTMASTER@example.org check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ex.json --recipient x@example.net check <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c ex.json --recipient bob@example.test --recipient eve@example.com \
		check <"$spam" | test_grep -q "^scl=[5-9] " &&
	scl-score -c ex.json --recipient user@example.org check <"$spam" | test_grep -q "^scl=[5-9] " &&
	scl-score -c ex.json --recipient alice@example.test <"$spam" >out &&
	field X-Postern-Spam out | test_grep -q "reason=exempt-recipient$"
'

test_expect_success 'safelist-hash: first 4 bytes of SHA-256 of the lowercased address' '
	want=$(printf "alice@example.test" | sha256sum | cut -c1-8) &&
	scl-score safelist-hash Alice@Example.TEST "<alice@example.test>" >out &&
	printf "%s  Alice@Example.TEST\n%s  <alice@example.test>\n" "$want" "$want" >expect &&
	test_cmp expect out
'

test_expect_code 64 'safelist-hash needs an address' '
	scl-score safelist-hash
'

test_done
