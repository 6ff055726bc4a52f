#!/bin/bash
# smime-sign's command line and config: -n on good and bad configs (the
# key path named), usage errors exit 64, --help lists the commands, the
# example config passes -n, and a message over max_size is exit 65.
. "$(dirname "$0")/lib.sh"
need openssl
cd "$TEST_TMP" || bail "no TEST_TMP"

test_expect_success 'the example config passes -n' '
	smime-sign -n -c "$SRCDIR/share/examples/smime-sign.json" 2>log &&
	test_grep -q "config ok" log
'

test_expect_success '-n names the key path and what was expected' '
	echo "{ \"smime-sign\": { \"cipher\": \"des\", \"gateway\": { \"rules\": [ { \"encrypt\": \"maybe\" } ] } } }" >bad.json &&
	{ smime-sign -n -c bad.json 2>log; test $? = 78; } &&
	test_grep -q "smime-sign.cipher" log && test_grep -q "aes-256-cbc|aes-128-cbc|aes-256-gcm|aes-128-gcm" log &&
	test_grep -q "smime-sign.gateway.rules\[0\].encrypt" log
'

test_expect_success 'a signer without cert is a config error' '
	echo "{ \"smime-sign\": { \"gateway\": { \"signers\": [ { \"match\": [\"a@b.test\"] } ] } } }" >nocert.json &&
	{ smime-sign -n -c nocert.json 2>log; test $? = 78; } && test_grep -q "cert" log
'

test_expect_success '--help lists every command; no command or an unknown one is exit 64' '
	smime-sign --help >help &&
	for c in sign verify encrypt decrypt lookup gateway; do test_grep -q "$c" help || exit 1; done &&
	{ smime-sign </dev/null >/dev/null 2>log; test $? = 64; } &&
	{ smime-sign frobnicate </dev/null >/dev/null 2>log; test $? = 64; } && test_grep -q "unknown command" log &&
	{ smime-sign sign extra </dev/null >/dev/null 2>&1; test $? = 64; } &&
	{ smime-sign sign --digest md5 --cert "$PKI/alice.pem" </dev/null >/dev/null 2>&1; test $? = 64; } &&
	{ smime-sign encrypt </dev/null >/dev/null 2>&1; test $? = 64; }
'

test_expect_success 'sign without a key: exit 64 and the reason' '
	echo "From: a@b.test" | smime-sign sign >/dev/null 2>log; test $? = 64 &&
	test_grep -q "no signing certificate configured" log
'

test_expect_success 'a message larger than max_size is exit 65' '
	echo "{ \"smime-sign\": { \"max_size\": \"2k\" } }" >small.json &&
	head -c 5000 /dev/zero | tr "\0" a >big.txt &&
	smime-sign -c small.json sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <big.txt >/dev/null 2>log
	test $? = 65 && test_grep -q "cannot read the message" log
'

test_expect_success 'gateway without a gateway section: the message passes unchanged' '
	echo "{ \"log\": { \"target\": \"stderr\" } }" >empty.json &&
	printf "From: a@b.test\nSubject: s\n\nhi\n" >m.txt &&
	smime-sign -c empty.json gateway -f a@b.test -- c@d.test <m.txt >out 2>log &&
	cmp m.txt out && test_grep -q "passed recipients=1" log
'

test_expect_success 'the key and its password never reach the log' '
	openssl pkcs12 -export -in "$PKI/alice-chain.pem" -inkey "$PKI/alice.key" \
		-passout pass:Sekrit-Pass-9 -out a.p12 && echo Wrong-Pass-7 >bad.pass &&
	echo "From: a@b.test" | smime-sign -v sign --cert a.p12 --password-file bad.pass >/dev/null 2>log
	test $? = 78 && test_grep -q "password" log &&
	! grep -q "Sekrit\|Wrong-Pass" log && ! grep -q "PRIVATE KEY" log
'

test_done
