#!/bin/bash
# smime-sign sign and verify, and interop with openssl cms both ways:
# RSA (PKCS#1 v1.5 and PSS) and ECDSA, SHA-256/384/512, multipart/signed
# and opaque, LF and CRLF input. A body with trailing spaces, 8-bit text,
# LF-only lines and a base64 binary attachment comes out of sign-then-
# verify byte for byte.
. "$(dirname "$0")/lib.sh"
need openssl cmp
cd "$TEST_TMP" || bail "no TEST_TMP"

cat >cfg.json <<EOF2
{ "smime-sign": { "ca_file": "$PKI/root.pem", "authserv_id": "mx.example.test" } }
EOF2

test_expect_success 'a message with trailing spaces, 8-bit text, LF lines and a binary attachment' '
	head -c 3000 /dev/urandom >blob.bin &&
	{
		printf "From: Alice Example <alice@example.test>\n"
		printf "To: bob@example.test\nSubject: quarterly figures\n"
		printf "Date: Tue, 24 Nov 2026 06:00:00 +0000\nMessage-ID: <m1@example.test>\n"
		printf "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n"
		printf "preamble\n--outer\nContent-Type: text/plain; charset=utf-8\n"
		printf "Content-Transfer-Encoding: 8bit\n\n"
		printf "Trailing spaces   \nand a tab\t\nd\303\251j\303\240 vu, \303\274ber\n\n"
		printf "From the start of a line\n.\n--outer\n"
		printf "Content-Type: application/octet-stream; name=\"blob.bin\"\n"
		printf "Content-Transfer-Encoding: base64\n"
		printf "Content-Disposition: attachment; filename=\"blob.bin\"\n\n"
		base64 blob.bin
		printf -- "--outer--\n"
	} >msg.txt &&
	sed "s/\$/\r/" msg.txt >msg-crlf.txt
'

test_expect_success 'sign: multipart/signed, headers outside, SHA-256, chain included' '
	smime-sign -c cfg.json sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <msg.txt >signed.txt &&
	test_grep -q "^Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";" signed.txt &&
	test_grep -q "micalg=sha-256" signed.txt &&
	sed -n "1,/^\$/p" signed.txt >outer &&
	test_grep -q "^From: Alice Example <alice@example.test>\$" outer &&
	test_grep -q "^Subject: quarterly figures\$" outer &&
	test_grep -q "^Message-ID: <m1@example.test>\$" outer &&
	! grep -q "^Content-Type: multipart/mixed" outer &&
	! grep -q "$(printf "\r")" signed.txt
'

test_expect_success 'openssl cms verifies it; the signed part is the canonical CRLF entity' '
	openssl cms -verify -CAfile "$PKI/root.pem" -in signed.txt -out content.txt 2>err &&
	test_grep -q "Verification successful" err &&
	sed -n "/^Content-Type: multipart\/mixed/,\$p" msg.txt | sed "s/\$/\r/" >want &&
	cmp want content.txt
'

test_expect_success 'the signed attributes: content type, digest, signing time, modern capabilities only' '
	openssl cms -cmsout -print -inform SMIME -in signed.txt >dump &&
	test_grep -q "signingTime" dump && test_grep -q "messageDigest" dump &&
	test_grep -q "contentType" dump && test_grep -q "S/MIME Capabilities" dump &&
	test_grep -q "aes-256-gcm" dump && test_grep -q "aes-256-cbc" dump &&
	! grep -qi "des-ede3\|rc2\|des-cbc\|sha1" dump &&
	test_grep -q "Postern Test Intermediate CA" dump
'

test_expect_success 'verify: exit 0, the message byte for byte under an Authentication-Results field' '
	smime-sign -c cfg.json verify <signed.txt >out 2>log &&
	head -n 1 out >ar &&
	test_grep -q "^Authentication-Results: mx.example.test; smime=pass header.from=alice@example.test (signer=\"emailAddress=alice@example.test,CN=Alice Example\"; ca=\"CN=Postern Test Root CA,O=Postern Test\")\$" ar &&
	tail -n +2 out >back && cmp msg.txt back &&
	test_grep -q "signature valid" log
'

test_expect_success 'CRLF input signs and verifies back to the same CRLF bytes' '
	smime-sign -c cfg.json sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <msg-crlf.txt >signed-crlf.txt &&
	openssl cms -verify -CAfile "$PKI/root.pem" -in signed-crlf.txt -out content2.txt 2>/dev/null &&
	cmp want content2.txt &&
	smime-sign -c cfg.json verify <signed-crlf.txt >out2 &&
	tail -n +2 out2 >back2 && cmp msg-crlf.txt back2
'

test_expect_success 'ECDSA, RSA-PSS, SHA-384 and SHA-512 signatures verify with openssl and smime-sign' '
	for v in "alice-ec sha256" "alice-ec sha384" "alice sha512 --pss" "alice sha256 --pss"; do
		set -- $v
		smime-sign -c cfg.json sign --cert "$PKI/$1-chain.pem" --key "$PKI/$1.key" --digest $2 ${3:-} \
			<msg.txt >s.txt || exit 1
		micalg=$(echo $2 | sed "s/sha/sha-/")
		grep -q "micalg=$micalg" s.txt || { echo "no micalg $micalg"; exit 1; }
		openssl cms -verify -CAfile "$PKI/root.pem" -in s.txt -out /dev/null 2>/dev/null ||
			{ echo "openssl refused $v"; exit 1; }
		smime-sign -c cfg.json verify <s.txt >o.txt || { echo "we refused $v"; exit 1; }
		tail -n +2 o.txt | cmp msg.txt - || exit 1
	done &&
	openssl cms -cmsout -print -inform SMIME -in s.txt | grep -q rsassaPss
'

test_expect_success 'opaque signed-data: openssl verifies it and so do we' '
	smime-sign -c cfg.json sign --opaque --cert "$PKI/alice-ec-chain.pem" --key "$PKI/alice-ec.key" \
		<msg.txt >opaque.txt &&
	test_grep -q "^Content-Type: application/pkcs7-mime; smime-type=signed-data;" opaque.txt &&
	openssl cms -verify -CAfile "$PKI/root.pem" -in opaque.txt -out content3.txt 2>/dev/null &&
	cmp want content3.txt &&
	smime-sign -c cfg.json verify <opaque.txt >out3 && tail -n +2 out3 | cmp msg.txt -
'

# What openssl signs: the entity alone, headers added by openssl itself.
sed -n "/^Content-Type: multipart\/mixed/,\$p" msg.txt >entity.txt

test_expect_success 'openssl cms -sign (RSA and ECDSA, detached) verifies in smime-sign' '
	for k in alice alice-ec; do
		openssl cms -sign -signer "$PKI/$k.pem" -inkey "$PKI/$k.key" -certfile "$PKI/int.pem" \
			-from "alice@example.test" -to "bob@example.test" -subject "from openssl" \
			-in entity.txt >os-$k.txt || exit 1
		smime-sign -c cfg.json verify <os-$k.txt >ov-$k.txt || exit 1
		head -n 1 ov-$k.txt | grep -q "smime=pass header.from=alice@example.test" || exit 1
		sed -n "/^Content-Type: multipart\/mixed/,\$p" ov-$k.txt | cmp entity.txt - || exit 1
	done
'

test_expect_success 'openssl cms -sign opaque, binary and base64, with -md sha512' '
	openssl cms -sign -nodetach -binary -md sha512 -signer "$PKI/alice-ec.pem" -inkey "$PKI/alice-ec.key" \
		-certfile "$PKI/int.pem" -from "alice@example.test" -in want >oo.txt &&
	smime-sign -c cfg.json verify <oo.txt >oov.txt &&
	head -n 1 oov.txt | grep -q "smime=pass" &&
	sed -n "/^Content-Type: multipart\/mixed/,\$p" oov.txt | cmp entity.txt -
'

test_expect_success 'openssl cms -sign with CRLF line ends (-crlfeol) verifies' '
	openssl cms -sign -crlfeol -signer "$PKI/alice.pem" -inkey "$PKI/alice.key" -certfile "$PKI/int.pem" \
		-from "alice@example.test" -in entity.txt >oc.txt &&
	grep -q "$(printf "\r")" oc.txt &&
	smime-sign -c cfg.json verify <oc.txt >ocv.txt
'

test_done
