#!/bin/bash
# smime-sign gateway behind a real Postfix as a pipe(8) transport: mail
# to a recipient with a certificate leaves signed and encrypted (status
# sent); encryption required and no certificate bounces with the 5.7.1
# text smime-sign wrote; a directory that is down defers (4.4.3) and the
# mail stays queued.
. "$(dirname "$0")/lib.sh"
need postfix postconf swaks openssl
cd "$TEST_TMP" || bail "no TEST_TMP"

# pipe(8) runs the command as nobody: its files must be readable there,
# the program too (a build tree under a 0700 directory, as mktemp -d makes,
# is not: a copy of the binary goes beside the files).
mkdir -m 755 gw gw/certs gw/bin && mkdir -m 777 gw/out &&
install -m 755 "$BIN/smime-sign" gw/bin/smime-sign &&
cp "$PKI/alice-ec-chain.pem" "$PKI/alice-ec.key" "$PKI/root.pem" gw/ &&
cp "$PKI/alice.pem" gw/certs/carol@partner.test.pem &&
chmod 644 gw/*.pem gw/*.key gw/certs/*
# cfg.json: recipients from cert_dir and an LDIF directory (dan is not
# there); down.json: the same with an LDAP directory nobody listens on.
printf "dn: uid=dora,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\nuid: dora\ncn: D\nsn: D\nmail: dora@partner.test\n" >gw/dir.ldif
cat >gw/cfg.json <<EOF2
{
	"directory": { "backend": "file", "file": "$TEST_TMP/gw/dir.ldif" },
	"smime-sign": {
		"cert_dir": "$TEST_TMP/gw/certs",
		"directory": true,
		"gateway": {
			"signers": [ { "match": ["@example.test"], "cert": "$TEST_TMP/gw/alice-ec-chain.pem",
				       "key": "$TEST_TMP/gw/alice-ec.key" } ],
			"rules": [ { "senders": ["@example.test"], "recipients": ["@partner.test", "@down.test"],
				     "sign": true, "encrypt": "required" } ],
			"reinject": ["sh", "-c", "cat >\"$TEST_TMP/gw/out/\$4.eml\"", "reinject"]
		}
	}
}
EOF2
python3 -c "import json; c=json.load(open('gw/cfg.json')); c['directory']={'backend':'ldap','ldap':{'uri':'ldap://127.0.0.1:$(free_ports 1)','base':'dc=example,dc=test','timeout':'1s','connect_timeout':'1s'}}; json.dump(c,open('gw/down.json','w'))"
chmod 644 gw/cfg.json gw/down.json gw/dir.ldif
postfix_start --set 'transport_maps = inline:{partner.test=smime:,down.test=smime2:}' ||
	bail "cannot start postfix"
cat >>"$POSTFIX_DIR/master.cf" <<EOF2
smime     unix  -       n       n       -       2       pipe
  flags=Rq user=nobody argv=$TEST_TMP/gw/bin/smime-sign -c $TEST_TMP/gw/cfg.json gateway -f \${sender} -- \${recipient}
smime2    unix  -       n       n       -       2       pipe
  flags=Rq user=nobody argv=$TEST_TMP/gw/bin/smime-sign -c $TEST_TMP/gw/down.json gateway -f \${sender} -- \${recipient}
EOF2
kill -HUP "$(cat "$TEST_TMP/postfix.pid")"
postfix_log_wait "reload" || bail "postfix did not reload"

mailq_has() { postqueue -c "$POSTFIX_DIR" -j | grep -q "\"address\": *\"$1\""; }
send() { # TO SUBJECT
	swaks --server 127.0.0.1:$POSTFIX_PORT --from alice@example.test --to "$1" \
		--header "Subject: $2" --body "secret plans for $1" --silent 2 >/dev/null
}

test_expect_success 'a recipient with a certificate: delivered signed and encrypted' '
	send carol@partner.test one &&
	postfix_log_wait "to=<carol@partner.test>.*status=sent" &&
	test_grep -q "smime-type=enveloped-data" gw/out/carol@partner.test.eml &&
	test_grep -q "^Subject: one" gw/out/carol@partner.test.eml &&
	! grep -q "secret plans" gw/out/carol@partner.test.eml &&
	smime-sign decrypt --cert "$PKI/alice.pem" --key "$PKI/alice.key" <gw/out/carol@partner.test.eml |
		smime-sign --ca "$PKI/root.pem" verify >v.txt &&
	head -n 1 v.txt | grep -q "smime=pass header.from=alice@example.test" &&
	test_grep -q "secret plans for carol@partner.test" v.txt
'

test_expect_success 'required and no certificate: Postfix bounces with the 5.7.1 text' '
	send dan@partner.test two &&
	postfix_log_wait "to=<dan@partner.test>.*status=bounced" &&
	grep "to=<dan@partner.test>" "$POSTFIX_LOG" | grep "status=bounced" >line &&
	test_grep -q "dsn=5.7.1" line &&
	test_grep -q "encryption required but <dan@partner.test> has no usable S/MIME certificate" line &&
	test ! -e gw/out/dan@partner.test.eml
'

test_expect_success 'the directory down: deferred with 4.4.3, the mail stays queued' '
	send erin@down.test three &&
	postfix_log_wait "to=<erin@down.test>.*status=deferred" &&
	grep "to=<erin@down.test>" "$POSTFIX_LOG" | grep "status=deferred" >line &&
	test_grep -q "dsn=4.4.3" line &&
	test ! -e gw/out/erin@down.test.eml &&
	mailq_has erin@down.test
'

test_done
