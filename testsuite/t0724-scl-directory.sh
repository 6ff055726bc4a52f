#!/bin/bash
# scl-score with the directory, over the LDIF file backend and slapd:
# the recipient's safe senders (envelope or From) bypass with SCL -1,
# blocked senders force 9, posternSCLJunkThreshold overrides the junk
# threshold per mailbox, unknown recipients get the global settings, and
# a directory that is down is a temporary failure (exit 75).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need sha256sum base64

scl_setup || bail "cannot train the test model"
T=$TEST_TMP

# blob ADDR...: base64 of the 4-byte hashes, as the directory stores them.
blob() {
	for a in "$@"; do
		h=$(printf %s "$a" | sha256sum | cut -c1-8)
		printf "$(echo "$h" | sed 's/../\\x&/g')"
	done | base64 -w0
}
cat >"$T/scl-users.ldif" <<EOF_LDIF
dn: uid=sclu,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: sclu
cn: SCL Never Junk
sn: Junk
mail: sclu@example.test
posternSCLJunkThreshold: 9
posternSafeSenders:: $(blob other@example.org friend@partner.test)
posternBlockedSenders:: $(blob enemy@bad.test)

dn: uid=sclv,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: sclv
cn: SCL Always Junk
sn: Junk
mail: sclv@example.test
posternSCLJunkThreshold: 0
EOF_LDIF
{ cat "$SRCDIR/testsuite/fixtures/dir/users.ldif"; echo; cat "$T/scl-users.ldif"; } >"$T/all.ldif"
base='"reject_enabled": false, "directory": true'
cat >"$T/file.json" <<EOF_JSON
{ "directory": { "backend": "file", "file": "$T/all.ldif" },
  "scl-score": { "model": "$SCL_MODEL", $base } }
EOF_JSON
sed 's/"reject_enabled"/"junk_threshold": 9, "reject_enabled"/' "$T/file.json" >"$T/file-nojunk.json"

slapd_start || bail "cannot start slapd"
ldapadd -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" -f "$T/scl-users.ldif" \
	>"$T/ldapadd.log" 2>&1 || bail "cannot load scl-users.ldif"
cat >"$T/ldap.json" <<EOF_JSON
{ "directory": { "backend": "ldap", "ldap": { "uri": "$LDAP_URI", "base": "$LDAP_BASE",
    "bind_dn": "$LDAP_BIND_DN", "bind_password_file": "$LDAP_BIND_PW_FILE",
    "timeout": "3s", "connect_timeout": "2s" } },
  "scl-score": { "model": "$SCL_MODEL", $base } }
EOF_JSON
sed 's/"reject_enabled"/"junk_threshold": 9, "reject_enabled"/' "$T/ldap.json" >"$T/ldap-nojunk.json"

spam=$(scl_one spam)
sed 's/^From: .*/From: "My Friend" <Friend@Partner.TEST>/' "$spam" >"$T/from-friend.msg"

for b in file ldap; do
	test_expect_success "$b: a safe sender (envelope) of the recipient bypasses" "
		scl-score -c $b.json --sender friend@partner.test --recipient sclu@example.test <'$spam' >out &&
		test_grep -q '^X-Postern-SCL: -1\$' out &&
		test_grep -q '^X-Postern-Spam: p=0\.[0-9]*; action=deliver; reason=safe-sender\$' out
	"
	test_expect_success "$b: a safe sender in From bypasses too (address compared lowercased)" "
		scl-score -c $b.json check --recipient SCLU@example.test <from-friend.msg | test_grep -q '^scl=-1 action=deliver'
	"
	test_expect_success "$b: safe for one recipient only is no bypass" "
		scl-score -c $b.json check --sender friend@partner.test --recipient sclu@example.test \
			--recipient sclv@example.test <'$spam' | test_grep -q '^scl=[5-9] '
	"
	test_expect_success "$b: a blocked sender forces 9" "
		scl-score -c $b.json --sender enemy@bad.test --recipient sclu@example.test <'$(scl_one ham)' >out &&
		test_grep -q '^X-Postern-SCL: 9\$' out && test_grep -q 'reason=blocked-sender\$' out
	"
	test_expect_success "$b: posternSCLJunkThreshold 9 keeps spam out of Junk" "
		scl-score -c $b.json check --recipient sclu@example.test <'$spam' &&
		scl-score -c $b.json check --recipient sclu@example.test <'$spam' | test_grep -q '^scl=[5-9] action=deliver ' &&
		scl-score -c $b.json check --recipient nobody@example.test <'$spam' | test_grep -q '^scl=[5-9] action=junk '
	"
	test_expect_success "$b: posternSCLJunkThreshold 0 junks what the global threshold would not" "
		scl-score -c $b-nojunk.json check --recipient sclv@example.test <'$spam' | test_grep -q ' action=junk ' &&
		scl-score -c $b-nojunk.json check --recipient nobody@example.test <'$spam' | test_grep -q ' action=deliver '
	"
done

test_expect_code 75 'ldap: the directory down is a temporary failure' '
	slapd_stop &&
	scl-score -c ldap.json --recipient sclu@example.test <"$spam" >out 2>err; rc=$?
	test_grep -q "directory unavailable" err >&2 && test ! -s out && exit $rc
'

test_expect_success 'without recipients the directory is not asked' '
	scl-score -c ldap.json check <"$spam" | test_grep -q "^scl=[5-9] action=junk "
'

test_done
