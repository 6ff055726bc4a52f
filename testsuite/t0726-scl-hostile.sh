#!/bin/bash
# Messages spam is made of: broken MIME, a 10 MB line, 1,000 nested
# parts, NUL bytes, unknown and lying charsets. Each is scored without a
# crash and within the time limit, and the filter still passes it through
# byte for byte; explain still gives valid JSON.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need jq timeout awk

scl_setup || bail "cannot train the test model"
T=$TEST_TMP

printf 'From: a@b\nContent-Type: multipart/mixed; boundary="never"\nContent-Transfer-Encoding: base64\n\n--other\nContent-Type: text/html\n\n<p>free <b>lottery</a\n--never\nContent-Transfer-Encoding: base64\n\n!!!not base64@@@===\n' >"$T/broken.msg"
{ printf 'Subject: long\n\n'; head -c 10000000 /dev/zero | tr '\0' 'x'; } >"$T/longline.msg"
awk 'BEGIN {
	print "Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n"
	for (i = 0; i < 1000; i++)
		printf "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i + 1
	print "--b1000\nContent-Type: text/plain\n\nwinner prize lottery\n"
	for (i = 1000; i >= 0; i--) printf "--b%d--\n", i
}' >"$T/nested.msg"
printf 'Subject: nul\0here\nFrom: x\0y@example.test\n\nbody \0\0 with lottery\0 prize\n' >"$T/nul.msg"
printf 'Subject: =?x-klingon?Q?lottery=FF?= =?utf-8?B?////?=\nContent-Type: text/plain; charset="x-unknown-cs"\n\nwinner \377\376 prize\n' >"$T/charset1.msg"
printf 'Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3D"http://\300\257evil.example/">click=\n here</a> =ZZ =\n' >"$T/charset2.msg"

for m in broken longline nested nul charset1 charset2; do
	test_expect_success "$m: scored and passed through byte for byte" "
		timeout 20 scl-score -c '$SCL_CONF' <'$T/$m.msg' >out &&
		head -n 1 out | grep -Eq '^X-Postern-SCL: [0-9]\$' &&
		tail -n +3 out | cmp - '$T/$m.msg'
	"
	test_expect_success "$m: check and explain answer" "
		timeout 20 scl-score -c '$SCL_CONF' check <'$T/$m.msg' | grep -Eq '^scl=[0-9] action=[a-z]+ p=[01]\.[0-9]{4}\$' &&
		timeout 20 scl-score -c '$SCL_CONF' explain <'$T/$m.msg' >e.json &&
		jq -e '.features >= 0 and (.top | type == \"array\")' e.json >/dev/null
	"
done

test_expect_success 'the 10 MB line and the nested parts take well under a second of work each' '
	start=$(date +%s%N) &&
	scl-score -c "$SCL_CONF" check <"$T/longline.msg" >/dev/null &&
	scl-score -c "$SCL_CONF" check <"$T/nested.msg" >/dev/null &&
	end=$(date +%s%N) && echo "$(( (end - start) / 1000000 )) ms" &&
	test $(( (end - start) / 1000000 )) -lt 5000
'

test_expect_success 'a message larger than max_size streams through, scored on its start' '
	scl_conf small.json "\"max_size\": \"64k\"" &&
	{ cat "$(scl_one spam)"; head -c 300000 /dev/zero | tr "\0" "y" | fold -w 70; } >big.msg &&
	scl-score -c small.json <big.msg >out &&
	head -n 1 out | grep -Eq "^X-Postern-SCL: [5-9]$" &&
	tail -n +3 out | cmp - big.msg
'

test_done
