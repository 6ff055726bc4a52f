#!/bin/bash
# Interop with gpgsm (GnuPG 2.2, its own GNUPGHOME and a trust list with
# the fixture root) both ways: gpgsm verifies what smime-sign signs (RSA
# and ECDSA) and decrypts what it encrypts (RSA, AES-CBC); smime-sign
# verifies what gpgsm signs and decrypts what gpgsm encrypts. (gpgsm 2.2
# has no AuthEnvelopedData, OAEP or ECDH, and crashes importing EC
# PKCS#12: those cases are covered against openssl cms in t1000/t1002.)
. "$(dirname "$0")/lib.sh"
need gpgsm gpg-agent gpgconf openssl python3 cmp
cd "$TEST_TMP" || bail "no TEST_TMP"

gpgsm_start || bail "cannot set up gpgsm"
gpgsm_import_key alice || bail "cannot import alice's key into gpgsm"
# By fingerprint: verifying alice-ec's signature imports that certificate too.
ALICE=0x$(openssl x509 -in "$PKI/alice.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
echo "{ \"smime-sign\": { \"ca_file\": \"$PKI/root.pem\" } }" >cfg.json
{
	printf "From: Alice <alice@example.test>\nTo: bob@example.test\nSubject: gpgsm\n"
	printf "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	printf "Content-Transfer-Encoding: 8bit\n\nTrailing   \nfa\303\247ade\n"
} >msg.txt
sed -n "/^Content-Type:/,\$p" msg.txt | sed "s/\$/\r/" >entity-crlf.txt

test_expect_success 'gpgsm verifies what smime-sign signs: RSA and ECDSA' '
	for k in alice alice-ec; do
		smime-sign sign --cert "$PKI/$k-chain.pem" --key "$PKI/$k.key" <msg.txt >s-$k.txt &&
		smime_split s-$k.txt c-$k.txt sig-$k.der &&
		cmp entity-crlf.txt c-$k.txt &&
		gpgsm --batch --verify sig-$k.der c-$k.txt >out 2>log ||
			{ cat log; exit 1; }
		grep -q "Good signature from \"/CN=Alice Example/EMail=alice@example.test\"" log || exit 1
	done
'

test_expect_success 'gpgsm notices a body changed after smime-sign signed it' '
	sed "s/Trailing/Leading/" c-alice.txt >c-bad.txt &&
	! gpgsm --batch --verify sig-alice.der c-bad.txt >out 2>log &&
	test_grep -q "invalid signature\|BAD signature" log
'

test_expect_success 'smime-sign verifies what gpgsm signs (detached, BER, base64)' '
	gpgsm_b -u "$ALICE" --detach-sign --base64 entity-crlf.txt >g.sig 2>log || { cat log; exit 1; }
	{
		printf "From: Alice <alice@example.test>\nSubject: from gpgsm\nMIME-Version: 1.0\n"
		printf "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"gb\"\n\n"
		printf -- "--gb\n"; tr -d "\r" <entity-crlf.txt; printf "\n--gb\n"
		printf "Content-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n"
		cat g.sig; printf -- "--gb--\n"
	} >g.txt &&
	smime-sign -c cfg.json verify <g.txt >v.txt &&
	head -n 1 v.txt | grep -q "smime=pass header.from=alice@example.test" &&
	sed -n "/^Content-Type:/,\$p" v.txt | sed "s/\$/\r/" | cmp entity-crlf.txt -
'

test_expect_success 'smime-sign refuses a gpgsm signature over a different body' '
	sed "s/^Trailing   \$/Trailing/" g.txt >g-bad.txt &&
	test_expect_code_run=$(smime-sign -c cfg.json verify <g-bad.txt >/dev/null 2>log; echo $?) &&
	test "$test_expect_code_run" = 1 && test_grep -q "the content does not match the signature" log
'

test_expect_success 'gpgsm decrypts what smime-sign encrypts (RSA, AES-256-CBC and AES-128-CBC)' '
	for c in aes-256-cbc aes-128-cbc; do
		smime-sign encrypt --cipher $c --to-cert "$PKI/alice.pem" <msg.txt >e.txt &&
		smime_body e.txt e.der &&
		gpgsm_b --decrypt e.der >d.txt 2>log || { cat log; exit 1; }
		cmp entity-crlf.txt d.txt || exit 1
	done
'

test_expect_success 'smime-sign decrypts what gpgsm encrypts (AES-128 default and AES-256)' '
	for a in "" "--cipher-algo AES256"; do
		gpgsm --batch --encrypt -r "$ALICE" $a --base64 entity-crlf.txt >ge.b64 2>log ||
			{ cat log; exit 1; }
		{
			printf "From: Alice <alice@example.test>\nSubject: from gpgsm\nMIME-Version: 1.0\n"
			printf "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n"
			printf "Content-Transfer-Encoding: base64\n\n"; cat ge.b64
		} >ge.txt &&
		smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <ge.txt >gd.txt || exit 1
		sed -n "/^Content-Type:/,\$p" gd.txt | sed "s/\$/\r/" | cmp entity-crlf.txt - || exit 1
	done
'

test_expect_success 'signed by smime-sign, encrypted by gpgsm, then decrypted and verified by smime-sign' '
	sed -n "/^Content-Type: multipart/,\$p" s-alice.txt | sed "s/\$/\r/" >inner.txt &&
	gpgsm --batch --encrypt -r "$ALICE" --base64 inner.txt >se.b64 2>/dev/null &&
	{
		printf "From: Alice <alice@example.test>\nTo: bob@example.test\nSubject: gpgsm\nMIME-Version: 1.0\n"
		printf "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\n"
		printf "Content-Transfer-Encoding: base64\n\n"; cat se.b64
	} >se.txt &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <se.txt |
		smime-sign -c cfg.json verify >sv.txt &&
	head -n 1 sv.txt | grep -q "smime=pass" &&
	tail -n +2 sv.txt | tr -d "\r" | cmp msg.txt -
'

test_done
