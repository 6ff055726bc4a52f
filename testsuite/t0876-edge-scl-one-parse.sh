#!/bin/bash
# smtp-edge scores a message from its one parse (spam_features_mime on
# the content layer's tree): the SCL and probability it puts in
# X-Postern-SCL / X-Postern-Spam are those scl-score gives for the same
# bytes with the same model, for corpus ham and spam, multipart with
# base64, an RFC 2047 subject, broken MIME and many URLs; and scl-score
# gives the same whether it parses once for phrases too or not.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need swaks smtp-sink base64

scl_setup || bail "cannot train the test model"
T=$TEST_TMP
smtp_sink_start
scl_conf "$T/phr.json" '"allowed_phrases": ["zq-never-there-qz"]'

edge_conf "$T/edge.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "scl": { "enabled": true, "model": "'"$SCL_MODEL"'", "reject_enabled": false } }'
edge_start edge "$T/edge.json"

crlf() { sed 's/\r$//; s/$/\r/'; }
# The messages, one file each, CRLF as they travel (swaks sends them as is).
M=$T/msgs
mkdir -p "$M"
n=0
for f in $(ls "$SCL_TEST/ham/cur/"* | head -n 3) $(ls "$SCL_TEST/spam/cur/"* | head -n 3); do
	n=$((n + 1))
	{ echo "X-Case: case$n"; cat "$f"; } | crlf >"$M"/case$n
done
n=$((n + 1))
html=$(printf '<html><body><p>Cheap <b>PILLS</b> at <a href="http://pills.example/buy">our shop</a></p></body></html>\n' | base64 -w 60)
crlf >"$M"/case$n <<MSG
X-Case: case$n
From: =?utf-8?B?UGjDpHJtYQ==?= <shop@pills.example>
To: alice@example.test
Subject: =?iso-8859-1?Q?G=FCnstig_kaufen?= =?utf-8?B?4pyI?= now
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt1"

--alt1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Cheap PILLS at http://pills.example/buy =E2=9C=88 limited offer
--alt1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

$html
--alt1--
MSG
n=$((n + 1))
crlf >"$M"/case$n <<MSG
X-Case: case$n
From: someone@broken.example
Subject: broken mime
Content-Type: multipart/mixed
this header line has no colon

--nothing
Content-Type: ///
Content-Transfer-Encoding: base64

@@@ not base64 !!!
the meeting notes are attached, see you tomorrow
MSG
n=$((n + 1))
{ printf 'X-Case: case%d\nFrom: u@links.example\nSubject: links\nContent-Type: text/html\n\n' $n
  for i in $(seq 1 260); do echo "<a href=\"http://h$i.links$((i % 7)).example/\">link $i</a>"; done; } |
	crlf >"$M"/case$n
CASES=$n

# scl-score's SCL and p of a file: "SCL p".
score() { scl-score -c "$1" <"$2" >"$T/score.out" && head -n 2 "$T/score.out" | tr -d '\r' |
	sed -n 's/^X-Postern-SCL: //p; s/^X-Postern-Spam: p=\([0-9.]*\);.*/\1/p' | paste -sd ' '; }

test_expect_success 'the messages go through smtp-edge, each scored by the model' '
	for i in $(seq 1 $CASES); do
		swaks --server 127.0.0.1:$EDGE_PORT --helo client.test --from s@sender.test \
			--to alice@example.test --data @"$M"/case$i >swaks.$i 2>&1 &&
		test_grep -q "<-  250 " swaks.$i || return 1
	done &&
	smtp_sink_wait $CASES &&
	test "$(grep -c "reason=model layer=3 check=scl" "$T/edge.log")" = $CASES
'

test_expect_success 'smtp-edge SCL and p equal scl-score for the same message and model' '
	for i in $(seq 1 $CASES); do
		f=$(grep -l "^X-Case: case$i[[:space:]]*\$" "$SINK_DIR"/*) &&
		test -n "$f" &&
		edge=$(tr -d "\r" <"$f" | sed -n "s/^X-Postern-SCL: //p; s/^X-Postern-Spam: p=\([0-9.]*\);.*/\1/p" | paste -sd " ") &&
		mine=$(score "$SCL_CONF" "$M"/case$i) &&
		echo "case$i edge=[$edge] scl-score=[$mine]" >&2 &&
		test -n "$mine" && test "$edge" = "$mine" || return 1
	done
'

test_expect_success 'the cases span ham and spam SCLs' '
	for i in $(seq 1 $CASES); do score "$SCL_CONF" "$M"/case$i; done | cut -d" " -f1 >scls &&
	test_grep -q "^[0-4]\$" scls && test_grep -q "^[5-9]\$" scls
'

test_expect_success 'scl-score parsing once for phrases gives the same SCL and p' '
	for i in $(seq 1 $CASES); do
		test "$(score "$SCL_CONF" "$M"/case$i)" = "$(score "$T/phr.json" "$M"/case$i)" || return 1
	done
'

test_done
