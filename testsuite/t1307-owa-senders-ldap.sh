#!/bin/bash
# owa-cas Options: safe and blocked senders go to the directory's
# posternSafeSenders and posternBlockedSenders blobs (4-byte hashes, as
# scl-score safelist-hash prints them) when LDAP takes the write, and
# scl-score then gives that sender SCL -1; with the service account
# read-only, or the file backend, they stay in the Maildir only and the
# page says so.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need owa-cas scl-score curl jq ldapsearch ldapmodify slapmodify od base64

slapd_start || bail "slapd did not start"
# dave may hold the blobs once he is a posternUser.
ldapmodify -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" \
	>"$TEST_TMP/mod.log" 2>&1 <<EOF_LDIF || bail "cannot make dave a posternUser"
dn: uid=dave,ou=people,$LDAP_BASE
changetype: modify
add: objectClass
objectClass: posternUser
EOF_LDIF
owa_setup
slapd_conf_ldap "$TEST_TMP/ldap.json"
jq -s '.[0] * .[1]' "$OWA_CONF" "$TEST_TMP/ldap.json" >"$TEST_TMP/owa-ldap.json"
mkdir -p "$OWA_MAIL/dave/cur" "$OWA_MAIL/dave/new" "$OWA_MAIL/dave/tmp"
owa_start owaf || bail "owa-cas (file) did not start"
FILE_OWA=$OWA_URL
owa_start owal "$TEST_TMP/owa-ldap.json" || bail "owa-cas (ldap) did not start"
LDAP_OWA=$OWA_URL

# login URL JAR; save URL JAR SAFE BLOCKED (the page on stdout)
login() {
	curl -s -o /dev/null -D "$2.h" -c "$2" --data-urlencode user=dave \
		--data-urlencode password=dave-Secret-4 "$1/login" &&
	grep -qi "^Location: /mail" "$2.h"
}
save() {
	tok=$(curl -s -b "$2" "$1/options" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' |
		head -n 1) &&
	test -n "$tok" &&
	curl -s -b "$2" --data-urlencode "csrf=$tok" --data-urlencode "safe=$3" \
		--data-urlencode "blocked=$4" "$1/options"
}
# dir_hex ATTR: dave's blob in hex, as slapd holds it.
dir_hex() {
	ldapsearch -LLL -o ldif-wrap=no -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" \
		-y "$LDAP_ROOT_PW_FILE" -b "uid=dave,ou=people,$LDAP_BASE" -s base "$1" |
		sed -n "s/^$1:: //p" | base64 -d | od -An -tx1 | tr -d ' \n'
}
hashes() { scl-score safelist-hash "$@" | cut -c1-8 | tr -d '\n'; }

test_expect_success 'file backend: the lists stay in the Maildir and the page says so' '
	login "$FILE_OWA" fjar &&
	save "$FILE_OWA" fjar "Friend@Partner.example" "enemy@bad.example" >page &&
	test_grep -q "Saved in your mailbox only: the directory is not writable from here." page &&
	test_grep -q "kept in your mailbox only" page &&
	jq -c . "$OWA_MAIL/dave/postern-senders.json" >out &&
	echo "{\"safe\":[\"friend@partner.example\"],\"blocked\":[\"enemy@bad.example\"]}" >want &&
	test_cmp want out &&
	test_grep -q "senders kept in the mailbox only user=dave backend=file why=read-only" \
		"$TEST_TMP/owaf.log"
'

test_expect_success 'LDAP with a read-only service account: Maildir only, nothing in slapd' '
	login "$LDAP_OWA" ljar &&
	save "$LDAP_OWA" ljar "other@x.example" "" >page &&
	test_grep -q "Saved in your mailbox only: the directory is not writable from here." page &&
	jq -e ".safe == [\"other@x.example\"]" "$OWA_MAIL/dave/postern-senders.json" &&
	test_grep -q "backend=ldap why=read-only" "$TEST_TMP/owal.log" &&
	test -z "$(dir_hex posternSafeSenders)"
'

test_expect_success 'grant the service account write access to the blobs (slapd restarted)' '
	slapd_stop &&
	cat >acl.ldif <<-EOF_ACL &&
	dn: olcDatabase={1}mdb,cn=config
	changetype: modify
	add: olcAccess
	olcAccess: {1}to attrs=posternSafeSenders,posternBlockedSenders by dn.exact="$LDAP_BIND_DN" write by self read by * none
	EOF_ACL
	slapmodify -n0 -F "$TEST_TMP/slapd/slapd.d" -l acl.ldif >slapmodify.log 2>&1 &&
	slapd_restart
'

test_expect_success 'LDAP writable: the hashes go to slapd, the addresses to the Maildir' '
	save "$LDAP_OWA" ljar "Friend@Partner.example
other@x.example" "enemy@bad.example" >page &&
	test_grep -q "Saved to the directory." page &&
	test_grep -q "The directory holds 2 safe and 1 blocked sender for the mail gateway" page &&
	test_grep -q "friend@partner.example" page &&
	hashes friend@partner.example other@x.example >want &&
	dir_hex posternSafeSenders >got && echo >>got && echo >>want &&
	test_cmp want got &&
	test $(wc -c <want) = 17 &&
	hashes enemy@bad.example >want && echo >>want &&
	dir_hex posternBlockedSenders >got && echo >>got &&
	test_cmp want got &&
	jq -e ".safe == [\"friend@partner.example\",\"other@x.example\"]" \
		"$OWA_MAIL/dave/postern-senders.json" &&
	test_grep -q "senders written to the directory user=dave" "$TEST_TMP/owal.log"
'

test_expect_success 'a GET reads the counts back from the directory' '
	curl -s -b ljar "$LDAP_OWA/options" >page &&
	test_grep -q "The directory holds 2 safe and 1 blocked sender" page
'

test_expect_success 'scl-score over that LDAP directory gives the safe sender SCL -1' '
	scl_setup &&
	jq -s ".[0] * .[1] * {\"scl-score\": {\"directory\": true, \"reject_enabled\": false}}" \
		"$SCL_CONF" "$TEST_TMP/ldap.json" >scl-ldap.json &&
	spam=$(scl_one spam) &&
	scl-score -c scl-ldap.json check --sender friend@partner.example \
		--recipient dave@example.test <"$spam" | test_grep -q "^scl=-1 " &&
	scl-score -c scl-ldap.json check --sender stranger@partner.example \
		--recipient dave@example.test <"$spam" | test_grep -q "^scl=[5-9] " &&
	scl-score -c scl-ldap.json check --sender enemy@bad.example \
		--recipient dave@example.test <"$(scl_one ham)" | test_grep -q "^scl=9 "
'

test_expect_success 'emptying a list removes the blob from slapd' '
	save "$LDAP_OWA" ljar "" "enemy@bad.example" >page &&
	test_grep -q "Saved to the directory." page &&
	test -z "$(dir_hex posternSafeSenders)" &&
	test -n "$(dir_hex posternBlockedSenders)"
'

test_done
