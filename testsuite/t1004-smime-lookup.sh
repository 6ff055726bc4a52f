#!/bin/bash
# Recipients' certificates from the directory: userSMIMECertificate as a
# PKCS#7 certs-only value and in the AD (Outlook) TLV form, then
# userCertificate; from slapd over LDAP and from the LDIF file backend.
# lookup prints what it found and why a certificate is refused; encrypt
# to addresses uses them (slapd stores userSMIMECertificate without the
# ;binary option, AD and the LDIF file with it); a directory that is down is exit 75.
. "$(dirname "$0")/lib.sh"
need openssl python3 ldapmodify slapd cmp jq
cd "$TEST_TMP" || bail "no TEST_TMP"

slapd_start || bail "cannot start slapd"

# smime_issue NAME EMAIL ec|rsa KU: an S/MIME certificate from the fixture
# intermediate (random serial: no CA database touched).
smime_issue() {
	local kt=$3
	if [ "$kt" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null
	fi &&
	printf "keyUsage=critical,%s\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s\n" "$4" "$2" >"$1.ext" &&
	openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$1.csr" -CA "$PKI/int.pem" -CAkey "$PKI/int.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null &&
	openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

test_expect_success 'certificates and both attribute forms' '
	smime_issue carol carol@example.test ec digitalSignature,keyAgreement &&
	smime_issue dave dave@example.test rsa digitalSignature,keyEncipherment &&
	openssl crl2pkcs7 -nocrl -certfile dave.pem -certfile "$PKI/int.pem" -outform DER -out dave.p7 &&
	openssl x509 -in "$PKI/bob.pem" -outform DER -out bob.der &&
	python3 - <<-\PY
	import struct
	der = open("carol.der", "rb").read()
	def tlv(tag, data): return struct.pack("<HH", tag, len(data) + 4) + data
	blob = tlv(1, struct.pack("<I", 1)) + tlv(6, struct.pack("<I", 1)) + tlv(3, der) + tlv(8, der)
	open("carol.tlv", "wb").write(blob)
	PY
'

test_expect_success 'slapd holds them: carol TLV, dave PKCS#7, bob a userCertificate, erin none' '
	cat >mod.ldif <<-EOF2 &&
	dn: uid=carol,ou=people,$LDAP_BASE
	changetype: modify
	add: userSMIMECertificate
	userSMIMECertificate:< file://$TEST_TMP/carol.tlv

	dn: uid=dave,ou=people,$LDAP_BASE
	changetype: modify
	add: userSMIMECertificate
	userSMIMECertificate:< file://$TEST_TMP/dave.p7

	dn: uid=bob,ou=people,$LDAP_BASE
	changetype: modify
	add: userCertificate;binary
	userCertificate;binary:< file://$TEST_TMP/bob.der
	EOF2
	ldapmodify -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" -f mod.ldif >/dev/null &&
	slapd_conf_ldap ldap.json
'

test_expect_success 'lookup: the TLV form (carol) and the PKCS#7 form (dave, the CA certificate skipped)' '
	smime-sign -c ldap.json lookup carol@example.test dave@example.test >out &&
	test_grep -q "^carol@example.test userSMIMECertificate tlv usable subject=\"CN=carol\" issuer=\"CN=Postern Test Intermediate CA,O=Postern Test\" not_after=" out &&
	test_grep -q "^dave@example.test userSMIMECertificate pkcs7 usable subject=\"CN=dave\"" out &&
	test $(wc -l <out) = 2
'

test_expect_success 'lookup --json' '
	smime-sign -c ldap.json --json lookup dave@example.test >out.json &&
	jq -e ".[0].address == \"dave@example.test\" and .[0].form == \"pkcs7\" and .[0].usable == true and (.[0].sha256 | length) == 64" out.json
'

test_expect_success 'lookup: a refused certificate says why; none usable is exit 1' '
	smime-sign -c ldap.json lookup bob@example.test >out; test $? = 1 &&
	test_grep -q "^bob@example.test userCertificate x509 refused .* reason=key usage does not allow key agreement\$" out &&
	{ smime-sign -c ldap.json lookup erin@example.test nobody@example.test >out; test $? = 1; } &&
	test_grep -q "^nobody@example.test not-found\$" out
'

test_expect_success 'encrypt to addresses: certificates from slapd; each recipient decrypts' '
	printf "From: alice@example.test\nSubject: s\n\nfor carol and dave\n" >msg.txt &&
	smime-sign -c ldap.json encrypt carol@example.test dave@example.test <msg.txt >enc.txt &&
	smime-sign decrypt --cert carol.pem --key carol.key <enc.txt | tail -n 1 | grep -q "^for carol and dave\$" &&
	smime-sign decrypt --cert dave.pem --key dave.key <enc.txt | tail -n 1 | grep -q "^for carol and dave\$"
'

test_expect_success 'encrypt to a recipient without a usable certificate: exit 67 with the reason' '
	smime-sign -c ldap.json encrypt dave@example.test bob@example.test <msg.txt >out 2>log
	test $? = 67 && test ! -s out &&
	test_grep -q "no usable certificate for bob@example.test: userCertificate: key usage does not allow key agreement" log
'

test_expect_success 'the same values in the LDIF file backend' '
	{
		printf "dn: uid=carol,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n"
		printf "uid: carol\ncn: carol\nsn: c\nmail: carol@example.test\n"
		printf "userSMIMECertificate;binary:: %s\n\n" "$(base64 -w0 carol.tlv)"
		printf "dn: uid=dave,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n"
		printf "uid: dave\ncn: dave\nsn: d\nmail: dave@example.test\n"
		printf "userSMIMECertificate;binary:: %s\n" "$(base64 -w0 dave.p7)"
	} >dir.ldif &&
	echo "{ \"directory\": { \"backend\": \"file\", \"file\": \"$TEST_TMP/dir.ldif\" } }" >file.json &&
	smime-sign -c file.json lookup carol@example.test dave@example.test >out &&
	test_grep -q "^carol@example.test userSMIMECertificate tlv usable" out &&
	test_grep -q "^dave@example.test userSMIMECertificate pkcs7 usable" out
'

test_expect_success 'the directory down: exit 75, never "no certificate"' '
	slapd_stop &&
	{ smime-sign -c ldap.json lookup dave@example.test >out 2>log; test $? = 75; } &&
	{ smime-sign -c ldap.json encrypt dave@example.test <msg.txt >out 2>log; test $? = 75; } &&
	test_grep -q "cannot look up dave@example.test" log
'

test_done
