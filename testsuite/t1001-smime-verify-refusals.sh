#!/bin/bash
# smime-sign verify refuses, each with its reason, exit 1 and a
# smime=fail Authentication-Results field: a tampered body, a tampered
# signature, an untrusted CA, a self-signed signer, an expired signer, a
# revoked signer (CRL fetched over HTTP), a From: mismatch, an unsigned
# message; and no trusted CAs configured is a config error.
. "$(dirname "$0")/lib.sh"
need openssl python3
cd "$TEST_TMP" || bail "no TEST_TMP"

cat >cfg.json <<EOF2
{ "smime-sign": { "ca_file": "$PKI/root.pem", "authserv_id": "mx.example.test" } }
EOF2
cat >other.json <<EOF2
{ "smime-sign": { "ca_file": "$PKI/other-root.pem" } }
EOF2

mail_from() {
	printf "From: <%s>\nTo: bob@example.test\nSubject: test\n" "$1"
	printf "Content-Type: text/plain\n\nThe quarterly figures are attached.\n"
}
sign_as() { # NAME FROM
	mail_from "$2" | smime-sign sign --cert "$PKI/$1-chain.pem" --key "$PKI/$1.key"
}
# refused FILE REASON-REGEX [options]: exit 1, the reason in the field and log.
refused() {
	local f=$1 re=$2; shift 2
	smime-sign -c cfg.json verify "$@" <"$f" >out 2>log
	local rc=$?
	[ $rc = 1 ] || { echo "exit $rc, not 1"; cat log; return 1; }
	head -n 1 out | grep -q "^Authentication-Results: [^;]*; smime=fail (reason=\"$re" ||
		{ echo "want reason $re:"; head -n 1 out; return 1; }
	grep -q "signature refused: $re" log || { cat log; return 1; }
}

test_expect_success 'a good signature first, for contrast' '
	sign_as alice alice@example.test >good.txt &&
	smime-sign -c cfg.json verify <good.txt >out &&
	head -n 1 out | grep -q "smime=pass"
'

test_expect_success 'tampered body: the content does not match the signature' '
	sed "s/quarterly/yearly/" good.txt >t1.txt &&
	! cmp -s good.txt t1.txt &&
	refused t1.txt "the content does not match the signature (message digest differs)" &&
	test_grep -q "^The yearly figures" out
'

test_expect_success 'tampered signature: the signature does not verify' '
	python3 - good.txt t2.txt <<-\PY &&
	import base64, sys
	lines = open(sys.argv[1]).read().split("\n")
	b = lines.index("Content-Description: S/MIME Cryptographic Signature") + 2
	e = b
	while not lines[e].startswith("--"): e += 1
	der = bytearray(base64.b64decode("".join(lines[b:e])))
	der[-1] ^= 0x01
	enc = base64.b64encode(bytes(der)).decode()
	lines[b:e] = [enc[i:i + 76] for i in range(0, len(enc), 76)]
	open(sys.argv[2], "w").write("\n".join(lines))
	PY
	refused t2.txt "the signature does not verify (damaged or forged)"
'

test_expect_success 'garbage instead of a signature' '
	sed "/^Content-Description: S\/MIME/,/^--/{/^[A-Za-z0-9+\/=]\{20,\}\$/s/^..../AAAA/}" good.txt >t3.txt &&
	refused t3.txt "the signature"
'

test_expect_success 'a hashed CA directory (ca_dir) works as the bundle does' '
	mkdir cadir && cp "$PKI/root.pem" cadir/ && openssl rehash cadir &&
	echo "{ \"smime-sign\": { \"ca_dir\": \"$TEST_TMP/cadir\" } }" >dir.json &&
	smime-sign -c dir.json verify <good.txt >out &&
	head -n 1 out | grep -q "smime=pass" &&
	mkdir otherdir && cp "$PKI/other-root.pem" otherdir/ && openssl rehash otherdir &&
	echo "{ \"smime-sign\": { \"ca_dir\": \"$TEST_TMP/otherdir\" } }" >odir.json &&
	! smime-sign -c odir.json verify <good.txt >/dev/null 2>&1
'

test_expect_success 'untrusted CA: only the configured CAs count' '
	smime-sign -c other.json verify <good.txt >out 2>log; test $? = 1 &&
	head -n 1 out | grep -q "smime=fail (reason=\"untrusted CA: the signer.s chain does not reach a configured CA (unable to get local issuer certificate)\")"
'

test_expect_success 'a self-signed signer is refused as untrusted' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ss.key \
		-out ss.pem -days 30 -subj "/CN=Mallory" -addext "subjectAltName=email:alice@example.test" \
		-addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=emailProtection" 2>/dev/null &&
	mail_from alice@example.test | smime-sign sign --cert ss.pem --key ss.key >t4.txt &&
	refused t4.txt "untrusted CA: the signer.s chain does not reach a configured CA (self.signed certificate)"
'

test_expect_success 'expired signer' '
	sign_as smime-expired expired@example.test >t5.txt &&
	refused t5.txt "the signer.s certificate expired 2021-01-01T00:00:00Z"
'

test_expect_success 'revoked signer: refused with --crl (CRL over HTTP), accepted without' '
	sign_as smime-revoked revoked@example.test >t6.txt &&
	smime-sign -c cfg.json verify <t6.txt >/dev/null &&
	refused t6.txt "the signer.s certificate is revoked (CRL $POSTERN_CRL_URL/int.crl" --crl
'

test_expect_success 'a good signer passes the CRL check' '
	smime-sign -c cfg.json verify --crl <good.txt >out &&
	head -n 1 out | grep -q "smime=pass"
'

test_expect_success 'From: mismatch; --no-from-check accepts it' '
	sign_as alice bob@example.test >t7.txt &&
	refused t7.txt "From: bob@example.test does not match the signer (alice@example.test)" &&
	smime-sign -c cfg.json verify --no-from-check <t7.txt >out &&
	head -n 1 out | grep -q "smime=pass"
'

test_expect_success 'the signer address comes from the emailAddress attribute without a SAN email' '
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout na.key \
		-subj "/CN=Nina/emailAddress=nina@example.test" -out na.csr 2>/dev/null &&
	printf "keyUsage=digitalSignature\nextendedKeyUsage=emailProtection\n" >na.ext &&
	openssl x509 -req -in na.csr -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -CAcreateserial \
		-days 30 -extfile na.ext -out na.pem 2>/dev/null &&
	cat na.pem "$PKI/int.pem" >na-chain.pem &&
	mail_from nina@example.test | smime-sign sign --cert na-chain.pem --key na.key >t8.txt &&
	smime-sign -c cfg.json verify <t8.txt >out &&
	head -n 1 out | grep -q "smime=pass header.from=nina@example.test"
'

test_expect_success 'an unsigned message: refused, printed with the field' '
	mail_from alice@example.test >plain.txt &&
	refused plain.txt "the message is not signed" &&
	tail -n +2 out | cmp plain.txt -
'

test_expect_success 'a forged Authentication-Results with our authserv-id is removed, others kept' '
	{
		printf "Authentication-Results: mx.example.test; smime=pass header.from=bob@example.test\n"
		printf "Authentication-Results: other.example; spf=pass\n"
		mail_from alice@example.test
	} | smime-sign sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" >t9.txt &&
	smime-sign -c cfg.json verify <t9.txt >out 2>log &&
	test $(grep -c "^Authentication-Results: mx.example.test;" out) = 1 &&
	head -n 1 out | grep -q "smime=pass header.from=alice@example.test" &&
	test_grep -q "^Authentication-Results: other.example; spf=pass" out &&
	test_grep -q "removed an Authentication-Results field" log
'

test_expect_success 'no trusted CAs configured: exit 78, the system store is not implied' '
	echo "{}" >empty.json &&
	test_expect_code_run() { smime-sign -c empty.json verify <good.txt >out 2>log; echo $?; } &&
	test "$(test_expect_code_run)" = 78 &&
	test_grep -q "no trusted CAs" log
'

test_done
