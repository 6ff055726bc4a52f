#!/bin/bash
# smime-sign encrypt and decrypt, and interop with openssl cms both ways:
# RSA (PKCS#1 v1.5 and OAEP) and EC (ECDH) recipients, AES-CBC
# EnvelopedData and AES-GCM AuthEnvelopedData; a tampered GCM message or
# key gives a reason and no plaintext; recipients that cannot receive are
# refused; PKCS#12 with a password file; the sender as a recipient too.
. "$(dirname "$0")/lib.sh"
need openssl python3 cmp
cd "$TEST_TMP" || bail "no TEST_TMP"

{
	printf "From: Alice <alice@example.test>\nTo: Bob <bob@example.test>\n"
	printf "Subject: plans\nMessage-ID: <e1@example.test>\nMIME-Version: 1.0\n"
	printf "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	printf "Meet at the caf\303\251   \nat noon.\n"
} >msg.txt
sed -n "/^Content-Type:/,\$p" msg.txt | sed "s/\$/\r/" >entity-crlf.txt

# flip FILE OUT WHICH: decode the base64 body, flip a byte, encode again.
# WHICH: "last" (the GCM tag), "ct" (a ciphertext byte before the tag) or
# "key" (a byte in the first 256-byte OCTET STRING, an RSA encrypted key).
flip() {
	python3 - "$1" "$2" "$3" <<-\PY
	import base64, re, subprocess, sys
	src, dst, which = sys.argv[1:]
	text = open(src).read()
	head, body = text.split("\n\n", 1)
	der = bytearray(base64.b64decode(body))
	if which == "last":
	    der[-1] ^= 1
	elif which == "ct":
	    der[-19] ^= 1
	else:
	    out = subprocess.run(["openssl", "asn1parse", "-inform", "DER"], input=bytes(der),
	                         capture_output=True).stdout.decode()
	    m = re.search(r"^\s*(\d+):d=\d+\s+hl=(\d+)\s+l=\s*256 prim: OCTET STRING", out, re.M)
	    der[int(m.group(1)) + int(m.group(2)) + 100] ^= 1
	enc = base64.b64encode(bytes(der)).decode()
	open(dst, "w").write(head + "\n\n" + "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\n")
	PY
}

test_expect_success 'encrypt: AES-256-CBC by default, headers outside, openssl decrypts' '
	smime-sign encrypt --to-cert "$PKI/alice.pem" <msg.txt >enc.txt &&
	test_grep -q "^Content-Type: application/pkcs7-mime; smime-type=enveloped-data;" enc.txt &&
	test_grep -q "^Subject: plans\$" enc.txt && test_grep -q "^Message-ID: <e1@example.test>\$" enc.txt &&
	! grep -q "noon" enc.txt &&
	openssl cms -cmsout -print -inform SMIME -in enc.txt | grep -q "aes-256-cbc" &&
	openssl cms -decrypt -recip "$PKI/alice.pem" -inkey "$PKI/alice.key" -in enc.txt -out dec.txt &&
	cmp entity-crlf.txt dec.txt
'

test_expect_success 'smime-sign decrypts its own back to the bytes it was given' '
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <enc.txt >back.txt &&
	cmp msg.txt back.txt
'

test_expect_success 'RSA and EC recipients, CBC and GCM: openssl decrypts what we encrypt' '
	for k in alice alice-ec; do for c in aes-256-cbc aes-128-cbc aes-256-gcm aes-128-gcm; do
		smime-sign encrypt --cipher $c --to-cert "$PKI/$k.pem" <msg.txt >e.txt || exit 1
		case $c in *gcm) grep -q "smime-type=authEnveloped-data" e.txt || exit 1;; esac
		openssl cms -decrypt -recip "$PKI/$k.pem" -inkey "$PKI/$k.key" -in e.txt -out d.txt ||
			{ echo "openssl: $k $c"; exit 1; }
		cmp entity-crlf.txt d.txt || exit 1
		smime-sign decrypt --cert "$PKI/$k.pem" --key "$PKI/$k.key" <e.txt | cmp msg.txt - || exit 1
	done; done &&
	openssl cms -cmsout -print -inform SMIME -in e.txt | grep -q "id-smime-ct-authEnvelopedData" &&
	openssl cms -cmsout -print -inform SMIME -in e.txt | grep -q "dhSinglePass-stdDH-sha256kdf-scheme"
'

test_expect_success 'RSA-OAEP on request' '
	smime-sign encrypt --oaep --to-cert "$PKI/alice.pem" <msg.txt >oaep.txt &&
	openssl cms -cmsout -print -inform SMIME -in oaep.txt | grep -q "rsaesOaep" &&
	openssl cms -decrypt -recip "$PKI/alice.pem" -inkey "$PKI/alice.key" -in oaep.txt -out d.txt &&
	cmp entity-crlf.txt d.txt &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <oaep.txt | cmp msg.txt -
'

test_expect_success 'we decrypt what openssl encrypts: RSA, OAEP, EC; CBC and GCM' '
	sed -n "/^Content-Type:/,\$p" msg.txt >entity.txt &&
	for v in "alice -aes256" "alice -aes-256-gcm" "alice-ec -aes128" "alice-ec -aes-128-gcm" \
		"alice -aes256 -keyopt rsa_padding_mode:oaep"; do
		set -- $v; k=$1; shift
		c=$1; shift
		openssl cms -encrypt -binary $c -from alice@example.test -to bob@example.test \
			-subject plans -in entity.txt -out oe.txt -recip "$PKI/$k.pem" "$@" || exit 1
		smime-sign decrypt --cert "$PKI/$k.pem" --key "$PKI/$k.key" <oe.txt >od.txt ||
			{ echo "we failed: $v"; exit 1; }
		grep -q "^Subject: plans" od.txt || exit 1
		sed -n "/^Content-Type:/,\$p" od.txt | cmp entity.txt - || exit 1
	done
'

test_expect_success 'several recipients, each can decrypt' '
	smime-sign encrypt --to-cert "$PKI/alice.pem" --to-cert "$PKI/alice-ec.pem" <msg.txt >multi.txt &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <multi.txt | cmp msg.txt - &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <multi.txt | cmp msg.txt -
'

test_expect_success 'the sender is a recipient too with --self (the Sent copy stays readable)' '
	smime-sign encrypt --self --cert "$PKI/alice-ec.pem" --to-cert "$PKI/alice.pem" <msg.txt >self.txt &&
	smime-sign decrypt --cert "$PKI/alice-ec.pem" --key "$PKI/alice-ec.key" <self.txt | cmp msg.txt -
'

test_expect_success 'GCM: a changed tag or ciphertext gives the reason and no plaintext' '
	smime-sign encrypt --cipher aes-256-gcm --to-cert "$PKI/alice.pem" <msg.txt >gcm.txt &&
	for w in last ct; do
		flip gcm.txt bad.txt $w &&
		test_expect_code_run=$(smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" \
			<bad.txt >plain.txt 2>log; echo $?) &&
		test "$test_expect_code_run" = 1 &&
		test ! -s plain.txt &&
		test_grep -q "cannot decrypt: the authentication tag does not verify" log || exit 1
	done
'

test_expect_success 'a damaged encrypted key says so and prints nothing' '
	flip enc.txt badkey.txt key &&
	test_expect_code_run=$(smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" \
		<badkey.txt >plain.txt 2>log; echo $?) &&
	test "$test_expect_code_run" = 1 && test ! -s plain.txt &&
	test_grep -q "cannot decrypt: " log
'

test_expect_success 'not a recipient: said so, nothing printed; a key that does not match: said so' '
	test_expect_code_run=$(smime-sign decrypt --cert "$PKI/bob.pem" --key "$PKI/bob.key" \
		<enc.txt >plain.txt 2>log; echo $?) &&
	test "$test_expect_code_run" = 1 && test ! -s plain.txt &&
	test_grep -q "no recipient matches our certificate" log &&
	! smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/bob.key" <enc.txt >plain.txt 2>log &&
	test ! -s plain.txt && test_grep -q "the key does not match the certificate" log
'

test_expect_success 'PKCS#12 with a password file' '
	openssl pkcs12 -export -in "$PKI/alice-ec-chain.pem" -inkey "$PKI/alice-ec.key" \
		-passout pass:p12-Secret -out alice.p12 &&
	echo p12-Secret >p12.pass &&
	smime-sign encrypt --to-cert "$PKI/alice-ec.pem" --cipher aes-256-gcm <msg.txt >p.txt &&
	smime-sign decrypt --cert alice.p12 --password-file p12.pass <p.txt | cmp msg.txt - &&
	echo wrong >bad.pass &&
	! smime-sign decrypt --cert alice.p12 --password-file bad.pass <p.txt >/dev/null 2>log &&
	test_grep -q "password" log && ! grep -q p12-Secret log
'

test_expect_success 'recipients that cannot receive are refused with the reason' '
	! smime-sign encrypt --to-cert "$PKI/smime-expired.pem" <msg.txt >/dev/null 2>log &&
	test_grep -q "smime-expired.pem.: expired 2021-01-01T00:00:00Z" log &&
	! smime-sign encrypt --to-cert "$PKI/carol-sign.pem" <msg.txt >/dev/null 2>log &&
	test_grep -q "key usage does not allow key agreement" log &&
	! smime-sign encrypt --to-cert "$PKI/server-rsa.pem" <msg.txt >/dev/null 2>log &&
	test_grep -q "extended key usage lacks emailProtection" log
'

test_expect_success 'sign then encrypt, decrypt then verify: the same bytes' '
	echo "{ \"smime-sign\": { \"ca_file\": \"$PKI/root.pem\" } }" >cfg.json &&
	smime-sign sign --cert "$PKI/alice-ec-chain.pem" --key "$PKI/alice-ec.key" <msg.txt |
		smime-sign encrypt --cipher aes-128-gcm --to-cert "$PKI/alice.pem" >se.txt &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <se.txt |
		smime-sign -c cfg.json verify >sv.txt &&
	head -n 1 sv.txt | grep -q "smime=pass" && tail -n +2 sv.txt | cmp msg.txt -
'

test_done
