#!/bin/bash
# The transport rules' smime_sign action through smime-sign (the signing
# key stays in that process): the sink gets multipart/signed that
# smime-sign verify accepts, with the rule's subject prefix inside the
# signed part and our fields outside it; a signer that fails, or none
# configured, gives 451 4.7.0 (never unsigned).
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink smime-sign

T=$TEST_TMP
smtp_sink_start
cat >"$T/rules.json" <<'EOF_R'
{ "rules": [ { "name": "sign-alice", "if": { "sender": "alice@example.test" },
  "actions": { "smime_sign": true, "prepend_subject": "[signed] ", "add_header": "X-Signed-By: edge" } } ] }
EOF_R
conf() {
	edge_conf "$1" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'", "rules_file": "'"$T/rules.json"'",
    "smime_sign_command": '"$2"' }'
}
conf "$T/edge.json" '["'"$BIN/smime-sign"'", "sign", "--cert", "'"$PKI/alice-chain.pem"'", "--key", "'"$PKI/alice.key"'"]'
edge_start edge "$T/edge.json"
P1=$EDGE_PORT
EDGE_PORT=$(free_ports 1)
conf "$T/edge-bad.json" '["/bin/false"]'
edge_start edge-bad "$T/edge-bad.json"
P2=$EDGE_PORT

sunk() { grep -l "$1" "$SINK_DIR"/* 2>/dev/null | head -n 1; }

test_expect_success 'a rule signs: multipart/signed at the sink, verified by smime-sign' '
	swaks --server 127.0.0.1:$P1 --from alice@example.test --to bob@example.test \
		--header "Subject: sign me" --body "the signed words" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 && f=$(sunk "sign me") &&
	test_grep "^Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"" "$f" &&
	test_grep "^Subject: \[signed\] sign me" "$f" &&
	test_grep "^X-Signed-By: edge" "$f" &&
	test_grep "sign: message signed size=" "$TEST_TMP/edge.log" &&
	sed "1,/^X-Rcpt-Args/d" "$f" >msg &&
	smime-sign verify --ca "$PKI/ca.pem" <msg >verified 2>err &&
	test_grep "the signed words" verified
'

test_expect_success 'another sender: not signed' '
	swaks --server 127.0.0.1:$P1 --from carol@example.test --to bob@example.test \
		--header "Subject: plain one" >out 2>&1 &&
	sleep 0.3 && f=$(sunk "plain one") && ! grep -q "multipart/signed" "$f"
'

test_expect_success 'the signer fails: 451 4.7.0, nothing sent unsigned' '
	n=$(edge_sink_count) &&
	! swaks --server 127.0.0.1:$P2 --from alice@example.test --to bob@example.test \
		--header "Subject: cannot sign" >out 2>&1 &&
	test_grep "<\*\* 451 4.7.0 S/MIME signing unavailable, try again later" out &&
	test_grep "tempfail: cannot sign: \"the signing command failed\"" "$TEST_TMP/edge-bad.log" &&
	sleep 0.2 && test "$(edge_sink_count)" = "$n"
'

test_done
