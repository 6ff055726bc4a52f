#!/bin/bash
# eas-policy over a real directory (slapd): the user's posternEASPolicy
# chooses the policy, check_password binds as the user before answering
# Provision, and a directory that is down is a temporary failure (503,
# logged), never "unknown user".
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need python3 ldapadd

slapd_start || bail "cannot start slapd"
eas_ldif | awk '/^dn: uid=exec1/ { on = 1 } on' |
	sed 's/^uid: exec1$/&\nuserPassword: exec-Secret-9/' >"$TEST_TMP/exec1.ldif"
ldapadd -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" -f "$TEST_TMP/exec1.ldif" \
	>"$TEST_TMP/ldapadd.log" 2>&1 || bail "cannot load exec1"
EAS_PING_DELAY=1
eas_start '"check_password": true' || bail "cannot start eas-policy"
# The same daemon, now on the LDAP directory.
kill "$(cat "$TEST_TMP/eas.pid")"
python3 - "$EAS_CONF" "$LDAP_URI" "$LDAP_BASE" "$LDAP_BIND_DN" "$LDAP_BIND_PW_FILE" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["directory"] = {"backend": "ldap", "ldap": {"uri": sys.argv[2], "base": sys.argv[3],
    "bind_dn": sys.argv[4], "bind_password_file": sys.argv[5], "timeout": "2s",
    "connect_timeout": "1s"}}
json.dump(c, open(sys.argv[1], "w"))
PY
bg_start eas2 eas-policy -c "$EAS_CONF" -d
wait_port "$EAS_PORT" || bail "eas-policy did not start on LDAP"
LOG=$TEST_TMP/eas2.log
PROV=$EAS_FIX/docs/provision-initial.xml

test_expect_success 'exec1 gets the executives policy from slapd' '
	eas_dev -U exec1:exec-Secret-9 -d L1 -k 0 Provision <"$PROV" >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "<AlphanumericDevicePasswordRequired>1</AlphanumericDevicePasswordRequired>" out &&
	test_grep -q "<MinDevicePasswordLength>8</MinDevicePasswordLength>" out
'

test_expect_success 'check_password: a wrong password gets 401 and a log line' '
	eas_dev -U alice:wrong -d L2 -k 0 Provision <"$PROV" >out &&
	test_grep -q "^status=401" out &&
	test_grep -q "authentication failed user=alice device=L2" "$LOG" &&
	! test -e "$EAS_STORE/alice,L2.json"
'

test_expect_success 'the right password provisions, with the policy of posternEASPolicy' '
	eas_dev -U alice:alice-Secret-1 -d L2 -k 0 Provision <"$PROV" >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "<MinDevicePasswordLength>6</MinDevicePasswordLength>" out
'

test_expect_success 'a directory that is down: 503 and a log line, not unknown user' '
	slapd_stop &&
	eas_dev -U alice:alice-Secret-1 -d L2 -k 1 FolderSync <"$EAS_FIX/docs/foldersync.xml" >out &&
	test_grep -q "^status=503" out &&
	test_grep -q "directory unavailable user=alice" "$LOG" &&
	! grep -q "reason=unknown-user" "$LOG"
'

test_done
