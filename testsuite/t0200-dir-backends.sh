#!/bin/bash
# One table of directory lookups and password checks, run against the
# LDIF file backend and against slapd loaded with the very same LDIF:
# both backends must give the same answers.
. "$(dirname "$0")/lib.sh"
need postern-testd openssl base64 readelf

FIX=$SRCDIR/testsuite/fixtures/dir
DN_ALICE=uid=alice,ou=people,dc=example,dc=test
DN_BOB=uid=bob,ou=people,dc=example,dc=test
DN_CAROL=uid=carol,ou=people,dc=example,dc=test

# lookup_is CONF BY KEY DN: the lookup succeeds and finds DN.
lookup_is() {
	postern-testd -c "$1" lookup "$2" "$3" >found 2>err &&
	head -n 1 found >actual &&
	echo "dn: $4" >expect &&
	test_cmp expect actual
}

# auth_is CONF USER PASSWORD CODE: the check exits CODE, and says so.
auth_is() {
	local rc=0
	printf '%s\n' "$3" | postern-testd -c "$1" auth "$2" >auth.out 2>auth.err || rc=$?
	[ "$rc" = "$4" ] || { echo "auth $2 exited $rc, expected $4"; cat auth.err; return 1; }
	case $4 in
	0) test_grep -x "authenticated: $2" auth.out ;;
	1) test_grep -x "postern-testd: authentication failed: $2" auth.err ;;
	esac
}

dir_cases() {
	local c=$1 b=$2

	test_expect_success "$b: mail finds its entry" \
		"lookup_is $c mail alice@example.test $DN_ALICE"
	test_expect_success "$b: mail ignores case, stored and asked" \
		"lookup_is $c mail ALICE@Example.TEST $DN_ALICE &&
		 lookup_is $c mail bob@example.test $DN_BOB"
	test_expect_success "$b: aliases find their user" \
		"lookup_is $c mail a.liddell@example.test $DN_ALICE &&
		 lookup_is $c mail postmaster@example.test $DN_ALICE &&
		 lookup_is $c mail ROBERT@example.test $DN_BOB"
	test_expect_code 1 "$b: unknown address is not found (exit 1)" \
		"postern-testd -c $c lookup mail nobody@example.test"
	test_expect_success "$b: not found says so on stderr" \
		"postern-testd -c $c lookup mail nobody@example.test 2>err;
		 test_grep -x 'postern-testd: not found: nobody@example.test' err"
	test_expect_success "$b: uid finds its entry, any case" \
		"lookup_is $c uid bob $DN_BOB && lookup_is $c uid CAROL $DN_CAROL"
	test_expect_success "$b: phone numbers match whatever the spacing" \
		"lookup_is $c phone '+33 1 23 45 67 01' $DN_ALICE &&
		 lookup_is $c phone +33123456701 $DN_ALICE &&
		 lookup_is $c phone '+33-1-23-45-67-02' $DN_BOB &&
		 lookup_is $c phone '01 23 45 67 03' $DN_CAROL"
	test_expect_code 1 "$b: a number without its + is another number" \
		"postern-testd -c $c lookup phone 0123456701"
	test_expect_code 1 "$b: filter characters match nothing" \
		"postern-testd -c $c lookup uid '*'"
	test_expect_code 1 "$b: filter injection matches nothing" \
		"postern-testd -c $c lookup mail '*)(uid=*'"
	test_expect_success "$b: entry shows attributes, binary in base64" \
		"postern-testd -c $c lookup uid alice >out &&
		 test_grep -x 'cn: Alice Liddell' out &&
		 test_grep -x 'posternSCLJunkThreshold: 4' out &&
		 test_grep -x 'posternSafeSenders:: EjRWeN6tvu8=' out &&
		 test_grep -x 'posternBlockedSenders:: yv66vg==' out &&
		 test_grep -x 'posternMailboxPath: /var/mail/example.test/alice' out"
	test_expect_success "$b: non-ASCII value comes back in base64" \
		"postern-testd -c $c lookup uid bob >out &&
		 test_grep -x 'displayName:: Qm9iIE3DpHJsZXk=' out"
	test_expect_success "$b: binary values by name, with or without ;binary" \
		"postern-testd -c $c lookup uid alice 'userSMIMECertificate;binary' >out &&
		 echo 'userSMIMECertificate;binary:: AAH+/1NNSU1FAIA=' >expect &&
		 test_cmp expect out &&
		 postern-testd -c $c lookup uid alice usersmimecertificate >out &&
		 echo 'usersmimecertificate:: AAH+/1NNSU1FAIA=' >expect &&
		 test_cmp expect out"
	test_expect_success "$b: userCertificate is alice's certificate, byte for byte" \
		"postern-testd -c $c lookup mail alice@example.test userCertificate >out &&
		 sed -n 's/^userCertificate:: //p' out | base64 -d >cert.der &&
		 openssl x509 -inform DER -in cert.der -noout -subject >subject &&
		 test_grep 'CN *= *Alice Liddell' subject"
	test_expect_success "$b: {SSHA} password" "auth_is $c alice alice-Secret-1 0"
	test_expect_success "$b: {CRYPT} password" "auth_is $c bob bob-Secret-2 0"
	test_expect_success "$b: {SSHA512} password" "auth_is $c carol 'carol-Secret-3!' 0"
	test_expect_success "$b: {SSHA256} password" "auth_is $c dave dave-Secret-4 0"
	test_expect_success "$b: user named by mail address" \
		"auth_is $c Bob@Example.test bob-Secret-2 0"
	test_expect_success "$b: wrong password fails" "auth_is $c alice alice-Secret-2 1"
	test_expect_success "$b: another user's password fails" "auth_is $c bob alice-Secret-1 1"
	test_expect_success "$b: unknown user fails the same way" "auth_is $c mallory x 1"
	test_expect_success "$b: user without a password fails" "auth_is $c erin '' 1 &&
		auth_is $c erin anything 1"
	test_expect_success "$b: empty password fails" "auth_is $c alice '' 1"
}

# libldap (with liblber, libsasl2 and GnuTLS) is loaded with dlopen when an
# ldap directory opens, libcrypto when a file directory checks a digest.
test_expect_success 'no program links libldap or liblber at build time' '
	for p in "$BIN"/*; do
		readelf -d "$p" >dyn && test_grep -q NEEDED dyn || exit 1
		if grep -E "NEEDED.*\[lib(ldap|lber|sasl2|gnutls)" dyn; then
			echo "$p links them"; exit 1
		fi
	done
'

cat >"$TEST_TMP/file.json" <<EOF
{ "directory": { "backend": "file", "file": "$FIX/users.ldif" } }
EOF
dir_cases "$TEST_TMP/file.json" file

slapd_start || bail "cannot start slapd"
slapd_conf_ldap "$TEST_TMP/ldap.json"
dir_cases "$TEST_TMP/ldap.json" ldap

test_expect_success 'ldap: password checks bind as the user, not read the hash' \
	"test_grep 'BIND dn=\"$DN_BOB\" mech=SIMPLE' $TEST_TMP/slapd.log &&
	 ! grep -i 'userPassword' $TEST_TMP/slapd.log"

test_done
