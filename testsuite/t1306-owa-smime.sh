#!/bin/bash
# owa-cas shows the S/MIME verdict of smime-sign for signed mail: a valid
# multipart/signed message, the same with its text changed, and an
# opaque signed message whose content is only readable once unwrapped.
. "$(dirname "$0")/lib.sh"
need owa-cas smime-sign curl jq

printf 'From: alice@example.test\nTo: carol@example.test\nSubject: Signed note\nMessage-ID: <s1@x>\n\nThe signed words.\n' >"$TEST_TMP/plain"
smime-sign sign --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <"$TEST_TMP/plain" >"$TEST_TMP/signed" ||
	bail "cannot sign"
smime-sign sign --opaque --cert "$PKI/alice-chain.pem" --key "$PKI/alice.key" <"$TEST_TMP/plain" >"$TEST_TMP/opaque" ||
	bail "cannot sign opaque"
sed 's/The signed words./The changed words./' "$TEST_TMP/signed" >"$TEST_TMP/tampered"
owa_setup
jq --arg ca "$PKI/root.pem" '."smime-sign" = { "ca_file": $ca }' "$OWA_CONF" >"$OWA_CONF.s" &&
	mv "$OWA_CONF.s" "$OWA_CONF"
owa_msg carol "" "cur/1764000001.M1P1.t:2,S" "$TEST_TMP/signed"
owa_msg carol "" "cur/1764000002.M2P1.t:2,S" "$TEST_TMP/tampered"
owa_msg carol "" "cur/1764000003.M3P1.t:2,S" "$TEST_TMP/opaque"
owa_start owa || bail "owa-cas did not start"
J=$TEST_TMP/jar
curl -s -o /dev/null -c "$J" --data-urlencode "user=carol" --data-urlencode "password=carol-Secret-3!" \
	"$OWA_URL/login"

test_expect_success 'a valid signature is shown as such, with the signer' '
	curl -s -b "$J" "$OWA_URL/read?m=1764000001.M1P1.t" >page &&
	test_grep -q "<p class=\"smime pass\" role=\"status\"><strong>Signed: the signature is valid.</strong> smime=pass" page &&
	test_grep -q "alice@example.test" page
'

test_expect_success 'a changed text fails, with the reason' '
	curl -s -b "$J" "$OWA_URL/read?m=1764000002.M2P1.t" >page &&
	test_grep -q "<p class=\"smime fail\"" page &&
	test_grep -q "smime=fail (reason=\"the content does not match the signature" page
'

test_expect_success 'an opaque signed message is unwrapped for reading' '
	curl -s -b "$J" "$OWA_URL/read?m=1764000003.M3P1.t" >page &&
	test_grep -q "smime=pass" page &&
	curl -s -b "$J" "$OWA_URL/body?m=1764000003.M3P1.t" >body &&
	test_grep -q "The signed words." body
'

test_done
