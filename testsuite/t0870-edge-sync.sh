#!/bin/bash
# smtp-edge sync (EdgeSync): recipients, aliases, safelist blobs and
# junk thresholds from slapd into an LDIF file, atomically, with counts;
# no passwords copied; the file loads into the file backend and an edge
# using it accepts and refuses the same recipients as an edge on LDAP;
# LDAP down is exit 75 with the old file kept.
. "$(dirname "$0")/lib.sh"
need smtp-sink ldapadd python3

T=$TEST_TMP
slapd_start || bail "cannot start slapd"
cat >"$T/extra.ldif" <<'EOF_LDIF'
dn: uid=sclu,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: sclu
cn: SCL User
sn: User
mail: sclu@example.test
posternMailAlias: scl.user@example.test
posternSafeSenders:: AAECAwQFBgc=
posternSCLJunkThreshold: 7
userPassword: {CLEARTEXT}not-to-be-copied
EOF_LDIF
ldapadd -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" -f "$T/extra.ldif" \
	>"$T/ldapadd.log" 2>&1 || bail "cannot load extra.ldif: $(cat "$T/ldapadd.log")"
dirldap='"directory": { "backend": "ldap", "ldap": { "uri": "'"$LDAP_URI"'", "base": "'"$LDAP_BASE"'",
    "bind_dn": "'"$LDAP_BIND_DN"'", "bind_password_file": "'"$LDAP_BIND_PW_FILE"'",
    "timeout": "3s", "connect_timeout": "2s" } }'
smtp_sink_start
val='"relay_domains": ["example.test"], "validate_recipients": true, "local_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
edge_conf "$T/ldap.json" "$val" "$dirldap"
edge_start edge-ldap "$T/ldap.json"
P_LDAP=$EDGE_PORT

test_expect_success 'sync writes the LDIF and reports the counts' '
	smtp-edge -c "$T/ldap.json" sync --output "$T/edge.ldif" >out 2>err &&
	test_grep "^entries=6 recipients=6 aliases=4 safelists=2 thresholds=2\$" out &&
	test_grep "synced entries=6 " err &&
	test_grep "^dn: uid=sclu,ou=people,dc=example,dc=test" "$T/edge.ldif" &&
	test_grep "^posternSafeSenders:: AAECAwQFBgc=" "$T/edge.ldif" &&
	test_grep "^posternSCLJunkThreshold: 7" "$T/edge.ldif" &&
	test_grep "^posternMailAlias: scl.user@example.test" "$T/edge.ldif" &&
	! grep -i "^userPassword" "$T/edge.ldif" &&
	test "$(stat -c %a "$T/edge.ldif")" = 640
'

EDGE_PORT=$(free_ports 1)
edge_conf "$T/file.json" "$val" '"directory": { "backend": "file", "file": "'"$T/edge.ldif"'" }'
edge_start edge-file "$T/file.json"
P_FILE=$EDGE_PORT

rcpts() {
	{ printf "EHLO c.test\r\nMAIL FROM:<x@sender.test>\r\n"
	  for a in alice@example.test a.liddell@example.test ROBERT@example.test sclu@example.test \
		scl.user@example.test nobody@example.test carol@example.test mallory@example.test; do
		printf "RCPT TO:<%s>\r\n" "$a"; done
	  printf "RSET\r\nQUIT\r\n"; } >in &&
	smtp_raw "$1" in | grep "^[0-9]" | grep -v "^220 \|^250-"
}

test_expect_success 'the synced file validates the same recipients as LDAP' '
	rcpts $P_LDAP >ldap.out && rcpts $P_FILE >file.out &&
	test_cmp ldap.out file.out &&
	test "$(grep -c "^250 2.1.5" file.out)" = 6 &&
	test "$(grep -c "^550 5.1.1" file.out)" = 2
'

test_expect_success 'sync --filter "(objectClass=*)": the containers too, with their naming attributes' '
	smtp-edge -c "$T/ldap.json" sync --output all.ldif --filter "(objectClass=*)" >out 2>err &&
	test_grep "^dn: dc=example,dc=test" all.ldif &&
	test_grep "^dc: example" all.ldif &&
	test_grep "^dn: ou=people,dc=example,dc=test" all.ldif &&
	test_grep "^ou: people" all.ldif &&
	! grep -i "^userPassword" all.ldif
'

test_expect_success 'LDAP down: exit 75, the old file kept' '
	cp "$T/edge.ldif" before &&
	sed "s|$LDAP_URI|ldap://127.0.0.1:$(free_ports 1)|" "$T/ldap.json" >down.json &&
	{ smtp-edge -c down.json sync --output "$T/edge.ldif" 2>err; test $? = 75; } &&
	test_grep "sync: directory unavailable: cannot connect to ldap://127.0.0.1:" err &&
	test_cmp before "$T/edge.ldif"
'

test_expect_success 'sync needs the ldap backend (78) and --output (64)' '
	smtp-edge -c "$T/file.json" sync --output x.ldif 2>err; test $? = 78 &&
	test_grep "directory.backend must be \"ldap\"" err &&
	{ smtp-edge -c "$T/ldap.json" sync 2>err; test $? = 64; }
'

test_done
