#!/bin/bash
# smime-sign against openssl cms, a process per message, the same RSA
# 2048 key on both sides: N messages of 50 KB (default 1,000), each
# signed then verified, and encrypted (AES-256-CBC) then decrypted, by
# smime-sign and by openssl cms in turn (interleaved, so both see the same
# machine). Prints the median wall time per message of each operation
# for each, the ratio smime-sign/openssl per operation and for the
# sign+verify and encrypt+decrypt pairs, then the gateway's messages per
# second (sign and encrypt by policy, the key in its child process).
# Exits 0 when both pair ratios are <= 1.0, 1 when one is not, 69 when a
# tool is missing, 70 when a run fails.
# Usage: [BUILD=build] bench/smime-sign.sh
# Env: SMIME_BENCH_MESSAGES (1000), SMIME_BENCH_SIZE (51200 bytes).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || bench_fail "openssl is missing"
S=$BIN/smime-sign
[ -x "$S" ] || bench_fail "$S is not built"
N=${SMIME_BENCH_MESSAGES:-1000}
SIZE=${SMIME_BENCH_SIZE:-51200}
cd "$TEST_TMP" || exit 70

# The messages: headers, then base64 lines of random bytes up to SIZE.
mkdir msgs
for i in $(seq "$N"); do
	{
		printf "From: Alice Example <alice@example.test>\nTo: bob@example.test\n"
		printf "Subject: bench %d\nMessage-ID: <%d@bench.example.test>\nMIME-Version: 1.0\n" "$i" "$i"
		printf "Content-Type: text/plain; charset=us-ascii\n\n"
		head -c $((SIZE * 3 / 4 - 200)) /dev/urandom | base64 -w 76
	} >msgs/$i
done
echo "{ \"log\": { \"level\": \"warning\" }, \"smime-sign\": { \"ca_file\": \"$PKI/root.pem\", \"authserv_id\": \"bench\" } }" >cfg.json
K="$PKI/alice.key" C="$PKI/alice.pem" CH="$PKI/alice-chain.pem"

# run NAME CMD...: times CMD with stdin from $in, output in $NAME.out,
# appends the time to NAME.t; a failed run stops the benchmark.
run() {
	local name=$1; shift
	bench_time "$name.out" "$@" <"$in" >>"$name.t"
	[ "$bench_rc" = 0 ] || { echo "bench: $name failed:" >&2; cat "$name.out" >&2; exit 70; }
	cp "$name.out" "$name.res"
}
# The tools write the message to stdout; bench_time captures it in a file.
for i in $(seq "$N"); do
	in=msgs/$i
	run ss "$S" sign --cert "$CH" --key "$K"
	run os openssl cms -sign -signer "$C" -inkey "$K" -certfile "$PKI/int.pem" -md sha256
	in=ss.res; run sv "$S" -c cfg.json verify
	in=os.res; run ov openssl cms -verify -CAfile "$PKI/root.pem"
	in=msgs/$i
	run se "$S" encrypt --to-cert "$C"
	run oe openssl cms -encrypt -aes256 "$C"
	in=se.res; run sd "$S" decrypt --cert "$C" --key "$K"
	in=oe.res; run od openssl cms -decrypt -recip "$C" -inkey "$K"
done
# smime-sign's verify output is the message again, under its field.
tail -n +2 sv.res | cmp -s msgs/$N - || bench_fail "verify did not give the message back" 70
cmp -s msgs/$N sd.res || bench_fail "decrypt did not give the message back" 70

status=0
printf "%-8s %12s %12s %8s\n" op smime-sign openssl ratio
for op in s v e d; do
	a=$(bench_median s$op.t) b=$(bench_median o$op.t)
	eval "m_s$op=$a m_o$op=$b"
	printf "%-8s %10s ms %10s ms %8s\n" \
		"$(case $op in s) echo sign;; v) echo verify;; e) echo encrypt;; d) echo decrypt;; esac)" \
		"$a" "$b" "$(bench_ratio "$a" "$b")"
done
for pair in "sign+verify s v" "encrypt+decrypt e d"; do
	set -- $pair
	a=$(awk -v x="$(eval echo \$m_s$2)" -v y="$(eval echo \$m_s$3)" 'BEGIN { printf "%.3f", x + y }')
	b=$(awk -v x="$(eval echo \$m_o$2)" -v y="$(eval echo \$m_o$3)" 'BEGIN { printf "%.3f", x + y }')
	r=$(bench_ratio "$a" "$b")
	printf "%-16s smime-sign %s ms, openssl %s ms per message: ratio %s (target <= 1.0)\n" "$1" "$a" "$b" "$r"
	bench_le "$r" 1.0 || status=1
done

# The gateway: sign and encrypt to a recipient whose certificate is in
# cert_dir, the key in the child; messages per second over all N.
mkdir certs && cp "$C" certs/bob@example.test.pem
cat >gw.json <<EOF2
{ "smime-sign": { "cert_dir": "$TEST_TMP/certs", "directory": false,
  "gateway": { "signers": [ { "match": ["@example.test"], "cert": "$CH", "key": "$K" } ],
    "rules": [ { "senders": ["@example.test"], "sign": true, "encrypt": "opportunistic" } ] } } }
EOF2
t0=$EPOCHREALTIME
for i in $(seq "$N"); do
	"$S" -c gw.json gateway -f alice@example.test -- bob@example.test <msgs/$i >gw.out 2>/dev/null ||
		bench_fail "gateway failed on message $i" 70
done
t1=$EPOCHREALTIME
grep -q "smime-type=enveloped-data" gw.out || bench_fail "the gateway did not encrypt" 70
awk -v n="$N" -v a="$t0" -v b="$t1" \
	'BEGIN { printf "gateway: %d messages in %.2f s: %.1f messages/s (sign and encrypt, process per message)\n", n, b - a, n / (b - a) }'
exit $status
