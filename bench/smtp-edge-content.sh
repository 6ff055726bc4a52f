#!/bin/bash
# smtp-edge's content layer against Postfix doing the same work: 1 MB
# messages, one in five with a 600 kB zip attachment, sent by smtp-source
# over reused connections, (a) through smtp-edge -d with spam scoring
# (scl-score's model in-process), attachment filtering (extensions, the zip
# listed with libarchive) and a clamd INSTREAM scan, to smtp-sink;
# (b) through a private Postfix with mime_header_checks on attachment
# names, clamav-milter on the same clamd before the queue, and bogofilter
# as an after-queue content filter (a pipe transport that passes the
# message with its X-Bogosity field on to the same smtp-sink; reinjection
# into Postfix would only add a second queue pass to its side). Both models are trained on the
# same corpus. The time runs from the first connection until the sink has
# every message. Prints messages per second and the ratio a/b; exits 0
# when smtp-edge is ahead (a/b > 1), 1 when not, 69 when a program is
# missing, 70 when a run fails.
# Usage: [BUILD=build] bench/smtp-edge-content.sh
# Env: CONTENT_BENCH_MESSAGES (200, a multiple of 5), CONTENT_BENCH_SESSIONS
#      (10, a multiple of 5), KEEP_TMP=1 keeps the logs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

N=${CONTENT_BENCH_MESSAGES:-200}
S=${CONTENT_BENCH_SESSIONS:-10}
[ $((N % 5)) = 0 ] && [ $((S % 5)) = 0 ] || bench_fail "messages and sessions: multiples of 5" 64
for t in smtp-source smtp-sink postfix postconf clamd clamav-milter bogofilter python3; do
	command -v "$t" >/dev/null || bench_fail "$t is missing (make bench installs it)"
done
EDGE=$BIN/smtp-edge
[ -x "$EDGE" ] && [ -x "$BIN/scl-score" ] || bench_fail "smtp-edge or scl-score is not built in $BIN"
W=$TEST_TMP
cd "$W" || exit 70

# The corpus, the scl-score model and the bogofilter word list.
sh "$SRCDIR/testsuite/fixtures/spam/gen-corpus.sh" corpus 300 300 11 ||
	bench_fail "cannot make the corpus" 70
printf '{ "scl-score": { "model": "%s/scl.model" } }\n' "$W" >scl.json
"$BIN/scl-score" -c scl.json train --spam corpus/spam --ham corpus/ham 2>train.log ||
	bench_fail "scl-score train failed: $(tail -n 3 train.log)" 70
mkdir -p bogo
for f in corpus/spam/cur/*; do bogofilter -d bogo -s <"$f"; done
for f in corpus/ham/cur/*; do bogofilter -d bogo -n <"$f"; done
chmod -R a+rX bogo

# Two 1 MB messages: text only, and text with a zip attachment.
python3 - corpus/ham/cur <<'PY' || bench_fail "cannot make the messages" 70
import base64, io, os, random, sys, zipfile
words = []
for n in sorted(os.listdir(sys.argv[1]))[:50]:
    body = open(os.path.join(sys.argv[1], n), errors="replace").read().split("\n\n", 1)[-1]
    words += body.split()
rnd = random.Random(5)
def text(size):
    lines, n = [], 0
    while n < size:
        l = " ".join(rnd.choice(words) for _ in range(12))
        lines.append(l)
        n += len(l) + 1
    return "\n".join(lines) + "\n"
head = ("From: Carol <carol@sender.test>\nTo: alice@example.test\nSubject: quarterly notes\n"
        "Date: Mon, 2 Mar 2026 10:05:36 +0000\nMessage-ID: <bench@sender.test>\nMIME-Version: 1.0\n")
open("plain.eml", "w").write(head + "Content-Type: text/plain; charset=us-ascii\n\n" + text(1000000))
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as f:
    f.writestr("figures/q3-data.bin", bytes(rnd.getrandbits(8) for _ in range(450000)))
    f.writestr("figures/readme.txt", text(20000))
b64 = base64.encodebytes(z.getvalue()).decode()
open("attach.eml", "w").write(head + 'Content-Type: multipart/mixed; boundary="b-bench"\n\n'
    "--b-bench\nContent-Type: text/plain; charset=us-ascii\n\n" + text(1000000 - len(b64)) +
    "\n--b-bench\nContent-Type: application/zip; name=\"q3.zip\"\n"
    "Content-Disposition: attachment; filename=\"q3.zip\"\nContent-Transfer-Encoding: base64\n\n" +
    b64 + "--b-bench--\n")
PY

clamd_start
SINK_PORT=$(free_ports 1) || bench_fail "no free port" 70
bg_start sink smtp-sink -c -u root -h sink.example.test "127.0.0.1:$SINK_PORT" 1024
wait_port "$SINK_PORT" || bench_fail "smtp-sink does not listen: $(cat sink.log)" 70
sink_count() {
	tr '\r' '\n' <sink.log | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo 0
}

# (a) smtp-edge with the content layer.
EDGE_PORT=$(free_ports 1) || bench_fail "no free port" 70
cat >edge.json <<EOF_J
{ "log": { "target": "stderr" },
  "smtp-edge": {
    "listen": ["127.0.0.1:$EDGE_PORT"], "hostname": "edge.example.test",
    "workers": $S, "max_connections": 100, "message_size_limit": "10M",
    "spf": { "enabled": false }, "relay_domains": ["example.test"],
    "routes": { "example.test": { "host": "127.0.0.1:$SINK_PORT", "tls": "none" } },
    "content": { "enabled": true, "spool_directory": "$W",
      "scl": { "enabled": true, "model": "$W/scl.model" },
      "attachments": { "rules": [ { "extensions": ["exe", "bat", "scr", "js"], "action": "reject" } ] },
      "antivirus": { "enabled": true, "clamd": "unix:$CLAMD_SOCK" } } } }
EOF_J
"$EDGE" -n -c edge.json >edge-check.log 2>&1 || bench_fail "bad smtp-edge config: $(cat edge-check.log)" 70
serve_standalone edge "$EDGE_PORT" "$EDGE" -c "$W/edge.json" -d >/dev/null ||
	bench_fail "smtp-edge did not start: $(tail -n 5 edge.log)" 70

# (b) Postfix: clamav-milter before the queue, bogofilter after it.
cat >milter.conf <<EOF_M
MilterSocket unix:$W/milter.sock
MilterSocketMode 666
ClamdSocket unix:$CLAMD_SOCK
Foreground yes
OnInfected Reject
OnFail Defer
AddHeader Replace
MaxFileSize 25M
LogFile $W/milter.log
LogClean Full
EOF_M
bg_start milter clamav-milter --config-file="$W/milter.conf"
for i in $(seq 100); do [ -S milter.sock ] && break; sleep 0.05; done
[ -S milter.sock ] || bench_fail "clamav-milter did not start: $(tail -n 5 milter.log "$W/milter.log" 2>&1)" 70
printf '/^Content-(Disposition|Type):.*name *= *"?[^"]*\\.(exe|bat|scr|js)"?$/ REJECT attachment not allowed\n' >mime_checks
postfix_start --no-tls --relay "$SINK_PORT" \
	--set "relay_domains = example.test" \
	--set "message_size_limit = 10485760" \
	--set "mime_header_checks = regexp:$W/mime_checks" \
	--set "smtpd_milters = unix:$W/milter.sock" \
	--set "milter_default_action = tempfail" \
	--set "smtpd_client_connection_count_limit = 0" \
	--set "default_process_limit = 100"
cat >bogo.sh <<EOF_S
#!/bin/sh
# bogofilter's verdict in X-Bogosity, then on to the next hop (the sink)
t=\$(mktemp) || exit 75
$(command -v bogofilter) -d $W/bogo -p -e >"\$t" &&
	$(command -v smtp-source) -s 1 -m 1 -F "\$t" -M mail.example.test -f "\$1" -t "\$2" 127.0.0.1:$SINK_PORT
rc=\$?
rm -f "\$t"
[ \$rc = 0 ] || exit 75
EOF_S
chmod 755 bogo.sh
sed -i "s|^\(127.0.0.1:$POSTFIX_PORT inet .*smtpd\)\$|\1 -o content_filter=bogo:dummy|" "$POSTFIX_DIR/master.cf"
printf 'bogo unix - n n - %d pipe flags=Rq user=nobody null_sender= argv=%s/bogo.sh ${sender} ${recipient}\n' \
	"$S" "$W" >>"$POSTFIX_DIR/master.cf"
grep -q "content_filter=bogo" "$POSTFIX_DIR/master.cf" || bench_fail "cannot set the content filter" 70
postfix -c "$POSTFIX_DIR" reload >reload.log 2>&1 || bench_fail "postfix reload: $(cat reload.log)" 70
sleep 1

# run WHAT PORT: both smtp-source runs at once (four fifths plain, one
# fifth with the attachment), then waits for the sink; prints msg/s.
run() {
	local what=$1 port=$2 sink0 want t0 t1 tries=6000 p1 p2
	sink0=$(sink_count)
	want=$((sink0 + N))
	t0=$EPOCHREALTIME
	smtp-source -s $((S * 4 / 5)) -m $((N * 4 / 5)) -d -F plain.eml -M client.bench.test \
		-f carol@sender.test -t alice@example.test "127.0.0.1:$port" >"src1-$what.out" 2>&1 &
	p1=$!
	smtp-source -s $((S / 5)) -m $((N / 5)) -d -F attach.eml -M client.bench.test \
		-f carol@sender.test -t alice@example.test "127.0.0.1:$port" >"src2-$what.out" 2>&1 &
	p2=$!
	wait $p1 && wait $p2 || bench_fail "smtp-source into $what failed: $(tail -n 3 src*-$what.out)" 70
	while [ "$(sink_count)" -lt "$want" ] && [ $tries -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	t1=$EPOCHREALTIME
	[ "$(sink_count)" -ge "$want" ] ||
		bench_fail "$what: the sink got $(( $(sink_count) - sink0 )) messages, not $N" 70
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", n / (b - a) }'
}
# clamd's log has a line per scan: INSTREAM from smtp-edge, a file
# descriptor passed by clamav-milter.
scans() { grep -cE ': (OK|.* FOUND)$' "$CLAMD_LOG"; }

c0=$(scans)
a=$(run edge "$EDGE_PORT") || exit $?
c1=$(scans)
b=$(run postfix "$POSTFIX_PORT") || exit $?
c2=$(scans)
# Both did the work: a clamd scan and a spam verdict per message.
[ $((c1 - c0)) -ge "$N" ] && [ $((c2 - c1)) -ge "$N" ] ||
	bench_fail "clamd scans: smtp-edge $((c1 - c0)), Postfix $((c2 - c1)), not $N each" 70
[ "$(grep -c 'layer=3 check=scl' edge.log)" -ge "$N" ] || bench_fail "smtp-edge did not score every message" 70
[ "$(grep -c 'relay=bogo.*status=sent' "$POSTFIX_LOG")" -ge "$N" ] ||
	bench_fail "bogofilter did not see every message" 70
r=$(bench_ratio "$a" "$b")
printf 'content layer (%d messages of 1 MB, a fifth with a zip attachment, %d sessions):\n' "$N" "$S"
printf '  (a) smtp-edge (SCL in-process, attachments, clamd):          %8.2f msg/s\n' "$a"
printf '  (b) Postfix (mime_header_checks, clamav-milter, bogofilter): %8.2f msg/s\n' "$b"
printf '  a/b: %s (target > 1)\n' "$r"
if bench_le "$r" 1; then echo "target missed"; exit 1; fi
echo "target holds"
