#!/bin/bash
# smime-sign gateway: policy by sender and recipient (sign; encrypt
# opportunistic or required, 5.7.1 and exit 69 when a required
# certificate is missing), already-S/MIME mail passed unchanged, the
# reinjection command, and the signing key held by a child: the process
# that reads the message never has the key in its memory.
. "$(dirname "$0")/lib.sh"
need openssl python3 cmp mkfifo
cd "$TEST_TMP" || bail "no TEST_TMP"

mkdir certs &&
cp "$PKI/alice.pem" certs/carol@partner.test.pem &&
cp "$PKI/alice-ec.pem" certs/erin@example.test.pem &&
cp "$PKI/smime-expired.pem" certs/old@partner.test.pem || bail "certs"
cat >cfg.json <<EOF2
{
	"log": { "target": "stderr" },
	"smime-sign": {
		"ca_file": "$PKI/root.pem",
		"cert_dir": "$TEST_TMP/certs",
		"directory": false,
		"gateway": {
			"signers": [
				{ "match": ["alice@example.test"], "cert": "$PKI/alice-ec-chain.pem",
				  "key": "$PKI/alice-ec.key" }
			],
			"rules": [
				{ "senders": ["alice@example.test"], "recipients": ["@partner.test"],
				  "sign": true, "encrypt": "required" },
				{ "senders": ["alice@example.test"], "recipients": ["example.test"],
				  "sign": true, "encrypt": "opportunistic" },
				{ "senders": ["@example.test"], "encrypt": "opportunistic" }
			]
		}
	}
}
EOF2
sed 's/"directory": false,/"directory": false, "encrypt_to_self": true,/' cfg.json >self.json
{
	printf "From: Alice <alice@example.test>\nTo: someone\nSubject: outbound\n"
	printf "Message-ID: <g1@example.test>\nMIME-Version: 1.0\n\nHello from the gateway.\n"
} >msg.txt

gw() { smime-sign -c cfg.json gateway "$@" <msg.txt; }

test_expect_success 'required, every recipient has a certificate: signed then encrypted' '
	gw -f alice@example.test -- carol@partner.test >out.txt 2>log &&
	test_grep -q "smime-type=enveloped-data" out.txt && ! grep -q "Hello" out.txt &&
	test_grep -q "^Subject: outbound\$" out.txt &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <out.txt >dec.txt &&
	test_grep -q "multipart/signed" dec.txt &&
	smime-sign -c cfg.json verify <dec.txt >ver.txt &&
	head -n 1 ver.txt | grep -q "smime=pass header.from=alice@example.test" &&
	tail -n +2 ver.txt | cmp msg.txt - &&
	test_grep -q "signed and encrypted recipients=1" log
'

test_expect_success 'required and one recipient without a certificate: 5.7.1, exit 69, nothing written' '
	gw -f alice@example.test -- carol@partner.test dan@partner.test >out.txt 2>log
	test $? = 69 && test ! -s out.txt &&
	head -n 1 log | grep -q "^5.7.1 encryption required but <dan@partner.test> has no usable S/MIME certificate"
'

test_expect_success 'required and the recipient certificate expired: refused the same way' '
	gw -f alice@example.test -- old@partner.test >out.txt 2>log
	test $? = 69 && test ! -s out.txt &&
	test_grep -q "^5.7.1 .*<old@partner.test>.*expired" log
'

test_expect_success 'opportunistic without a certificate: signed only' '
	gw -f alice@example.test -- frank@example.test >out.txt 2>log &&
	test_grep -q "^Content-Type: multipart/signed" out.txt &&
	smime-sign -c cfg.json verify <out.txt >ver.txt &&
	tail -n +2 ver.txt | cmp msg.txt - &&
	test_grep -q "not encrypted: no usable certificate for frank@example.test" log
'

test_expect_success 'opportunistic with a certificate: signed and encrypted' '
	gw -f alice@example.test -- erin@example.test >out.txt &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <out.txt |
		smime-sign -c cfg.json verify >ver.txt &&
	tail -n +2 ver.txt | cmp msg.txt -
'

test_expect_success 'encrypt_to_self: the sender can read its own copy' '
	smime-sign -c self.json gateway -f alice@example.test -- carol@partner.test <msg.txt >out.txt &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <out.txt >/dev/null
'

test_expect_success 'a sender with encryption only and no signer: encrypted, not signed' '
	sed "s/alice@example.test/bob@example.test/" msg.txt >bob.txt &&
	smime-sign -c cfg.json gateway -f bob@example.test -- erin@example.test <bob.txt >out.txt &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <out.txt | cmp bob.txt -
'

test_expect_success 'no rule for the sender: passed unchanged' '
	smime-sign -c cfg.json gateway -f mallory@other.test -- carol@partner.test <msg.txt >out.txt &&
	cmp msg.txt out.txt
'

test_expect_success 'already signed or encrypted mail is not wrapped again' '
	smime-sign sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <msg.txt >signed.txt &&
	smime-sign -c cfg.json gateway -f alice@example.test -- carol@partner.test <signed.txt >out.txt 2>log &&
	cmp signed.txt out.txt && test_grep -q "already S/MIME: passed unchanged" log &&
	smime-sign encrypt --to-cert "$PKI/alice.pem" <msg.txt >enc.txt &&
	smime-sign -c cfg.json gateway -f alice@example.test -- erin@example.test <enc.txt >out.txt &&
	cmp enc.txt out.txt
'

test_expect_success 'reinject: the result goes to the command with -f SENDER -- RCPT...' '
	python3 -c "import json,sys; c=json.load(open(\"cfg.json\")); c[\"smime-sign\"][\"gateway\"][\"reinject\"]=[\"sh\",\"-c\",\"cat >\\\"\$0.msg\\\"; echo \\\"\$@\\\" >\\\"\$0.args\\\"\",\"$TEST_TMP/ri\"]; json.dump(c,open(\"ri.json\",\"w\"))" &&
	smime-sign -c ri.json gateway -f alice@example.test -- erin@example.test frank@example.test <msg.txt >out.txt &&
	test ! -s out.txt &&
	echo "-f alice@example.test -- erin@example.test frank@example.test" >want.args &&
	test_cmp want.args ri.args &&
	test_grep -q "^Content-Type: multipart/signed" ri.msg
'

test_expect_success 'a signer key that cannot be read: 4.7.0 and exit 75 (the mail stays queued)' '
	sed "s|$PKI/alice-ec.key|$TEST_TMP/missing.key|" cfg.json >nokey.json &&
	smime-sign -c nokey.json gateway -f alice@example.test -- frank@example.test <msg.txt >out.txt 2>log
	test $? = 75 && test ! -s out.txt && head -n 1 log | grep -q "^4.7.0 signing key unavailable"
'

test_expect_success 'recipients from the directory (LDIF file, PKCS#7 value) when cert_dir has none' '
	openssl crl2pkcs7 -nocrl -certfile "$PKI/alice-ec.pem" -outform DER -out d.p7 &&
	{
		printf "dn: uid=dora,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n"
		printf "uid: dora\ncn: Dora\nsn: D\nmail: dora@partner.test\n"
		printf "userSMIMECertificate;binary:: %s\n" "$(base64 -w0 d.p7)"
	} >dir.ldif &&
	python3 -c "import json; c=json.load(open(\"cfg.json\")); c[\"smime-sign\"][\"directory\"]=True; c[\"directory\"]={\"backend\":\"file\",\"file\":\"$TEST_TMP/dir.ldif\"}; json.dump(c,open(\"dir.json\",\"w\"))" &&
	smime-sign -c dir.json gateway -f alice@example.test -- dora@partner.test <msg.txt >out.txt &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <out.txt |
		smime-sign -c cfg.json verify >ver.txt &&
	tail -n +2 ver.txt | cmp msg.txt - &&
	smime-sign -c dir.json gateway -f alice@example.test -- nobody@partner.test <msg.txt >out.txt 2>log
	test $? = 69 && test_grep -q "^5.7.1 .*<nobody@partner.test>.*(not in the directory)" log
'

test_expect_success 'usage: no sender or no recipient is exit 64' '
	smime-sign -c cfg.json gateway -- a@b.test <msg.txt >/dev/null 2>&1; test $? = 64 &&
	{ smime-sign -c cfg.json gateway -f a@b.test <msg.txt >/dev/null 2>&1; test $? = 64; }
'

# scan PID: "found" when the EC private scalar of alice-ec.key (as written,
# or as a little-endian BIGNUM) or a line of its PEM is in PID's memory.
scan() {
	python3 - "$1" "$PKI/alice-ec.key" <<-\PY
	import re, subprocess, sys
	pid, keyfile = sys.argv[1], sys.argv[2]
	text = subprocess.run(["openssl", "pkey", "-in", keyfile, "-text", "-noout"],
	                      capture_output=True, text=True).stdout
	hexs = re.search(r"priv:\n((?:\s+[0-9a-f:]+\n)+)", text).group(1)
	priv = bytes.fromhex(re.sub(r"[\s:]", "", hexs))
	priv = priv[-32:].rjust(32, b"\0")
	pem = [l.encode() for l in open(keyfile).read().splitlines() if not l.startswith("-----")]
	needles = [priv, priv[::-1]] + [l for l in pem if len(l) >= 40]
	mem = open("/proc/%s/mem" % pid, "rb", 0)
	found = False
	for line in open("/proc/%s/maps" % pid):
	    addr, perm = line.split()[:2]
	    s, e = (int(x, 16) for x in addr.split("-"))
	    if "r" not in perm or e - s > (256 << 20) or "[v" in line:
	        continue
	    try:
	        mem.seek(s)
	        data = mem.read(e - s)
	    except (OSError, ValueError, OverflowError):
	        continue
	    if any(n in data for n in needles):
	        found = True
	print("found" if found else "absent")
	PY
}

test_expect_success 'control: sign holds the key in its own process (the scan finds it)' '
	mkfifo in1 || exit 1
	smime-sign sign --cert "$PKI/alice-ec-chain.pem" --key "$PKI/alice-ec.key" <in1 >s1.txt &
	pid=$! &&
	exec 7>in1 &&
	for i in $(seq 20); do scan $pid >scan1; test "$(cat scan1)" = found && break; sleep 0.25; done &&
	cat msg.txt >&7 && exec 7>&- && wait $pid &&
	test "$(cat scan1)" = found
'

test_expect_success 'gateway: the key is in the child only, never in the process that reads mail' '
	mkfifo in2 || exit 1
	smime-sign -c cfg.json gateway -f alice@example.test -- frank@example.test <in2 >s2.txt 2>log &
	pid=$! &&
	exec 8>in2 &&
	for i in $(seq 50); do kid=$(pgrep -P $pid) && break; sleep 0.1; done &&
	test -n "$kid" && sleep 0.3 &&
	scan $pid >scan2 &&
	cat msg.txt >&8 && exec 8>&- && wait $pid &&
	test "$(cat scan2)" = absent &&
	smime-sign -c cfg.json verify <s2.txt >/dev/null &&
	! kill -0 $kid 2>/dev/null
'

test_done
