#!/bin/bash
# The LDAP backend against a real slapd: StartTLS and ldaps:// with
# certificate checks, one reused connection, a reconnect after a restart,
# and a server that is down or hung giving "temporary failure" (exit 75),
# never "not found". No password ever reaches a log.
. "$(dirname "$0")/lib.sh"
need postern-testd openssl mkfifo
slapd_start || bail "cannot start slapd"
T=$TEST_TMP

slapd_conf_ldap "$T/plain.json"
slapd_conf_ldap "$T/tls.json" "$LDAP_TLS_URI" "\"starttls\": true, \"ca_file\": \"$LDAP_CA_FILE\""
slapd_conf_ldap "$T/ldaps.json" "$LDAPS_URI" "\"ca_file\": \"$LDAP_CA_FILE\""
slapd_conf_ldap "$T/noca.json" "$LDAP_TLS_URI" "\"starttls\": true, \"ca_file\": \"$T/other-ca.pem\""
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other-ca.key" \
	-out "$T/other-ca.pem" -days 2 -subj "/CN=not the test CA" 2>/dev/null
printf 'not-the-Secret\n' >"$T/wrong.pw"
sed "s|$LDAP_BIND_PW_FILE|$T/wrong.pw|" "$T/plain.json" >"$T/wrongpw.json"
sed "s|$LDAP_BIND_PW_FILE|$T/missing.pw|" "$T/plain.json" >"$T/nopwfile.json"
sed "s|\"timeout\": \"3s\"|\"timeout\": \"1s\"|" "$T/plain.json" >"$T/short.json"

test_expect_success 'StartTLS: lookup and password check over TLS' '
	postern-testd -v -c tls.json lookup uid alice >out 2>tls.log &&
	test_grep -x "dn: uid=alice,ou=people,dc=example,dc=test" out &&
	echo alice-Secret-1 | postern-testd -v -c tls.json auth alice >>out 2>>tls.log &&
	test_grep -x "authenticated: alice" out &&
	test_grep "TLS established" "$T/slapd.log" &&
	test_grep -E "BIND dn=\"uid=alice,ou=people,dc=example,dc=test\" mech=SIMPLE bind_ssf=0 ssf=[1-9]" "$T/slapd.log"
'

test_expect_success 'ldaps:// lookup' '
	postern-testd -c ldaps.json lookup mail bob@example.test >out &&
	test_grep -x "dn: uid=bob,ou=people,dc=example,dc=test" out
'

test_expect_code 75 'StartTLS with a CA that did not sign the server: exit 75' '
	postern-testd -c noca.json lookup uid alice
'
test_expect_success 'StartTLS failure says why, and not "not found"' '
	postern-testd -c noca.json lookup uid alice 2>err; test $? = 75 &&
	test_grep "directory unavailable: cannot start TLS with $LDAP_TLS_URI" err &&
	! grep -i "not found" err
'

test_expect_code 75 'wrong service password: exit 75' '
	postern-testd -c wrongpw.json lookup uid alice
'
test_expect_success 'wrong service password: the bind is named, not the password' '
	postern-testd -c wrongpw.json lookup uid alice 2>err; test $? = 75 &&
	test_grep "cannot bind as the service account to $LDAP_URI: Invalid credentials" err &&
	! grep -e not-the-Secret -e "not found" err
'

test_expect_success 'missing bind password file: config error 78 naming it' '
	postern-testd -c nopwfile.json lookup uid alice 2>err; test $? = 78 &&
	test_grep "cannot read ldap.bind_password_file .*missing.pw" err
'

test_expect_success 'search: every entry matching a filter, with only the attributes asked for' '
	postern-testd -c plain.json search "(mail=*)" 100 mail uid >out &&
	test "$(grep -c "^dn: " out)" = 5 &&
	test_grep -x "dn: uid=erin,ou=people,dc=example,dc=test" out &&
	test_grep -x "mail: Bob@Example.test" out &&
	test_grep -x "uid: carol" out &&
	! grep -i -e "^userPassword" -e "^cn:" -e "^objectClass" out
'

test_expect_success 'search: a filter that matches nothing is an empty answer, exit 0' '
	postern-testd -c plain.json search "(mail=nobody@nowhere.test)" 10 >out &&
	test ! -s out
'

test_expect_success 'search: more entries than the limit is a failure, never a cut list' '
	{ postern-testd -c plain.json search "(mail=*)" 3 >out 2>err; test $? = 75; } &&
	test_grep "more than 3 entries match (mail=\*)" err &&
	test ! -s out
'

test_expect_success 'search: a malformed filter is named' '
	{ postern-testd -c plain.json search "(mail=" 10 2>err; test $? = 75; } &&
	test_grep -i "bad search filter" err
'

test_expect_success 'search: the file backend says it cannot evaluate a filter' '
	printf "{ \"directory\": { \"backend\": \"file\", \"file\": \"%s\" } }\n" \
		"$SRCDIR/testsuite/fixtures/dir/users.ldif" >file.json &&
	{ postern-testd -c file.json search "(mail=*)" 10 2>err; test $? = 75; } &&
	test_grep "the file backend cannot search with a filter (it needs ldap)" err
'

# A session of lookups on one open directory, fed through a FIFO.
mkfifo "$T/in"
postern-testd -v -c "$T/plain.json" lookup uid - <"$T/in" >"$T/session.out" 2>"$T/session.log" &
session=$!
cleanup_push "kill $session"
exec 3>"$T/in"
# Waits for the Nth answer (each ends with an empty line).
answers() {
	local i=0
	while [ "$(grep -c '^$' "$T/session.out")" -lt "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}
accepts() { grep -c ' ACCEPT from ' "$T/slapd.log"; }

before=$(accepts)
echo alice >&3; answers 1
echo bob >&3; answers 2
after=$(accepts)
test_expect_success 'a session reuses one connection' "
	test_grep -x 'dn: uid=alice,ou=people,dc=example,dc=test' session.out &&
	test_grep -x 'dn: uid=bob,ou=people,dc=example,dc=test' session.out &&
	test \$(($after - $before)) = 1
"

slapd_restart
echo carol >&3; answers 3
test_expect_success 'after slapd restarts, the next lookup reconnects' '
	test_grep -x "dn: uid=carol,ou=people,dc=example,dc=test" session.out &&
	test_grep "reconnecting to the directory" session.log
'

slapd_stop
echo dave >&3; answers 4
exec 3>&-
wait $session; rc=$?
test_expect_success 'with slapd gone, the session answers temporary failure' "
	test_grep -x '# temporary failure: directory unavailable: cannot connect to $LDAP_URI: Can.t contact LDAP server' session.out &&
	! grep -i 'not found' session.out &&
	test $rc = 75
"

test_expect_code 75 'slapd killed: mail lookup exits 75' \
	'postern-testd -c plain.json lookup mail alice@example.test'
test_expect_code 75 'slapd killed: uid lookup exits 75' \
	'postern-testd -c plain.json lookup uid nobody'
test_expect_code 75 'slapd killed: phone lookup exits 75' \
	'postern-testd -c plain.json lookup phone +33123456701'
test_expect_code 75 'slapd killed: password check exits 75' \
	'echo alice-Secret-1 | postern-testd -c plain.json auth alice'
test_expect_success 'slapd killed: the message says unavailable, not unknown' '
	postern-testd -c plain.json lookup mail nobody@example.test 2>err; test $? = 75 &&
	test_grep "^postern-testd: temporary failure: directory unavailable: " err &&
	! grep -i "not found" err &&
	{ echo wrong-Secret-7 | postern-testd -c plain.json auth alice 2>err; test $? = 75; } &&
	test_grep "temporary failure: directory unavailable" err &&
	! grep -i "authentication failed" err
'

slapd_restart
kill -STOP "$SLAPD_PID"
test_expect_success 'a hung slapd times out into exit 75' '
	start=$(date +%s) &&
	{ postern-testd -c short.json lookup uid alice 2>err; rc=$?; } &&
	end=$(date +%s) &&
	test $rc = 75 &&
	test $((end - start)) -le 4 &&
	test_grep "directory unavailable: .*Timed out" err
'
kill -CONT "$SLAPD_PID"

test_expect_success 'and answers again once it wakes' '
	postern-testd -c plain.json lookup uid alice >out &&
	test_grep -x "dn: uid=alice,ou=people,dc=example,dc=test" out
'

test_expect_success 'no password appears in any log or output' '
	printf "wrong-Secret-7\n" | postern-testd -v -c plain.json auth alice 2>>v.log;
	printf "alice-Secret-1\n" | postern-testd -v -c plain.json auth alice 2>>v.log &&
	! grep -r -l -e alice-Secret-1 -e wrong-Secret-7 -e svc-Secret-0 -e not-the-Secret \
		"$T"/*.log "$T"/out.* "$T"/session.* "$T"/err "$T"/out
'

test_done
