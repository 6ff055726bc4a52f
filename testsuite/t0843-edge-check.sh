#!/bin/bash
# smtp-edge -n checks the content layer's files as the daemon would read
# them, in every policy: the rules file (errors named with the file and
# key path), the organisation key, the spam model (there, this version,
# its checksum); a problem exits 78 and says which policy it is in.
. "$(dirname "$0")/lib.sh"
need smtp-edge scl-score dd

T=$TEST_TMP
EDGE_PORT=$(free_ports 1)
sh "$SRCDIR/testsuite/fixtures/spam/gen-corpus.sh" "$T/corpus" 12 12 7 >/dev/null 2>&1 &&
printf '{"scl-score": {"model": "%s"}}\n' "$T/good.model" >"$T/scl.json" &&
scl-score -c "$T/scl.json" train --spam "$T/corpus/spam" --ham "$T/corpus/ham" 2>"$T/train.log" ||
	bail "cannot train the test model: $(cat "$T/train.log")"
printf 'organisation-key-for-tests-0123456789\n' >"$T/org.key"
printf 'short\n' >"$T/short.key"
printf '{"rules": [{"name": "a", "if": {"tls": true}, "actions": {"delete": true}}]}\n' >"$T/good.json"
printf '{"rules": [{"name": "a", "if": {"colour": 1}, "actions": {"delete": true}}]}\n' >"$T/bad.json"

# ex78 COMMAND...: the command exits 78
ex78() { "$@"; test $? = 78; }

# conf FILE RULES KEY MODEL [INBOUND_CONTENT]
conf() {
	edge_conf "$T/$1" '"routes": { "*": { "host": "127.0.0.1:25", "tls": "none" } },
  "content": { "enabled": true, "rules_file": "'"$T/$2"'",
    "organisation": { "key_file": "'"$T/$3"'" },
    "scl": { "enabled": true, "model": "'"$T/$4"'" } },
  "policies": { "inbound": { "listeners": ["127.0.0.1:'"$EDGE_PORT"'"],
    "content": { '"${5:-}"' } } }'
}

cp "$T/good.model" "$T/flip.model"
printf '\377' | dd of="$T/flip.model" bs=1 seek=5000 conv=notrunc 2>/dev/null
cp "$T/good.model" "$T/ver.model"
printf '\011' | dd of="$T/ver.model" bs=1 seek=8 conv=notrunc 2>/dev/null

test_expect_success 'a good config: 0, config ok' '
	conf ok.json good.json org.key good.model &&
	smtp-edge -c "$T/ok.json" -n 2>err &&
	test_grep "config ok: .*ok.json" err
'

test_expect_success 'a bad rules file: 78, the file and the key path named' '
	conf r.json bad.json org.key good.model &&
	ex78 smtp-edge -c "$T/r.json" -n 2>err &&
	test_grep "error: content: bad rules file: $T/bad.json: rules\[0\]\.colour: unknown condition" err &&
	test_grep "cannot set policy up policy=default" err &&
	test_grep "config not usable" err
'

test_expect_success '-n bundled with -v (-nv) runs the same checks and dumps the config' '
	ex78 smtp-edge -nv -c "$T/r.json" 2>err &&
	test_grep "unknown condition" err &&
	smtp-edge -nv -c "$T/ok.json" >dump 2>err &&
	test_grep "config ok: .*ok.json" err &&
	test_grep "\"smtp-edge\"" dump
'

test_expect_code 64 '-n with a command is a usage error' '
	smtp-edge -c "$T/ok.json" -n check-ip 192.0.2.1
'

test_expect_success 'a rules file that is not there: 78' '
	conf nr.json none.json org.key good.model &&
	ex78 smtp-edge -c "$T/nr.json" -n 2>err &&
	test_grep "bad rules file: cannot read .$T/none.json.: No such file" err
'

test_expect_success 'the organisation key missing or too short: 78' '
	conf nk.json good.json none.key good.model &&
	ex78 smtp-edge -c "$T/nk.json" -n 2>err &&
	test_grep "error: content: cannot read key .$T/none.key." err &&
	conf sk.json good.json short.key good.model &&
	ex78 smtp-edge -c "$T/sk.json" -n 2>err &&
	test_grep "error: content: .*short.key" err
'

test_expect_success 'the spam model missing, corrupt or of another version: 78' '
	conf nm.json good.json org.key none.model &&
	ex78 smtp-edge -c "$T/nm.json" -n 2>err &&
	test_grep "error: content: bad spam model: .$T/none.model.: No such file or directory" err &&
	conf fm.json good.json org.key flip.model &&
	ex78 smtp-edge -c "$T/fm.json" -n 2>err &&
	test_grep "bad spam model: .$T/flip.model.: bad checksum (corrupt model)" err &&
	conf vm.json good.json org.key ver.model &&
	ex78 smtp-edge -c "$T/vm.json" -n 2>err &&
	test_grep "bad spam model: .$T/ver.model.: model version 9" err
'

test_expect_success 'a policy content override is checked too, named by policy' '
	conf pr.json good.json org.key good.model "\"rules_file\": \"$T/bad.json\"" &&
	ex78 smtp-edge -c "$T/pr.json" -n 2>err &&
	test_grep "bad rules file: $T/bad.json: rules\[0\]\.colour" err &&
	test_grep "cannot set policy up policy=inbound" err &&
	conf pm.json good.json org.key good.model "\"scl\": { \"model\": \"$T/flip.model\" }" &&
	ex78 smtp-edge -c "$T/pm.json" -n 2>err &&
	test_grep "policy=inbound" err &&
	conf po.json good.json org.key good.model "\"enabled\": false, \"rules_file\": \"$T/bad.json\"" &&
	smtp-edge -c "$T/po.json" -n 2>err
'

test_expect_success 'a model not there yet does not stop the daemon (only -n is strict)' '
	conf nm.json good.json org.key none.model &&
	edge_start edge "$T/nm.json" &&
	test_grep "warning: content: cannot use model .$T/none.model. yet" "$T/edge.log"
'

test_done
