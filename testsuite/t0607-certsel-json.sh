#!/bin/bash
# certsel --json: one object with the chosen certificate (path, key,
# thumbprints, serial, days left) and every candidate with its rank or
# the reason it was refused; it parses with python3's json module.
. "$(dirname "$0")/lib.sh"
need openssl python3

test_expect_success 'set-up: CA-issued, self-signed and expired' '
	mkdir store &&
	cp "$PKI/server-full.pem" store/server.pem &&
	cp "$PKI/selfsigned.pem" "$PKI/selfsigned.key" store/ &&
	cp "$PKI/expired.pem" "$PKI/expired.key" store/
'

test_expect_success '--json prints one object that python3 parses, and no bare path' '
	certsel -s store --name mail.example.test --json >out.json 2>err &&
	python3 -c "import json,sys; json.load(open(\"out.json\"))" &&
	! grep -qx store/server.pem out.json
'

test_expect_success 'chosen: path, key, serial and thumbprints as openssl computes them' '
	sha1=$(openssl x509 -in "$PKI/server.pem" -noout -fingerprint -sha1 | sed "s/.*=//") &&
	sha256=$(openssl x509 -in "$PKI/server.pem" -noout -fingerprint -sha256 | sed "s/.*=//") &&
	serial=$(openssl x509 -in "$PKI/server.pem" -noout -serial | sed "s/.*=//") &&
	python3 - "$sha1" "$sha256" "$serial" <<-PY >got &&
	import json, sys
	d = json.load(open("out.json"))
	c = d["chosen"]
	assert c["sha1"] == sys.argv[1], c["sha1"]
	assert c["thumbprint"] == sys.argv[1].replace(":", ""), c["thumbprint"]
	assert c["sha256"] == sys.argv[2]
	assert c["serial"] == sys.argv[3]
	assert c["self_signed"] is False and c["generated"] is False
	assert c["days_left"] > 700 and c["expiring"] is False
	print(c["path"], c["key"], c["issuer"], d["purpose"], ",".join(d["names"]))
	PY
	echo "store/server.pem store/server.pem CN=Postern Test Intermediate CA,O=Postern Test server mail.example.test" >want &&
	test_cmp want got
'

test_expect_success 'candidates: ranks for the valid ones, reasons for the refused one' '
	python3 <<-PY >got &&
	import json
	d = json.load(open("out.json"))
	for c in d["candidates"]:
	    print(c["rank"], c["path"], c["valid"], c["reason"])
	PY
	printf "%s\n" "1 store/server.pem True None" "2 store/selfsigned.pem True None" \
		"None store/expired.pem False expired 2021-01-01T00:00:00Z; does not cover mail.example.test (no SAN matches mail.example.test)" >want &&
	test_cmp want got
'

test_expect_success 'nothing valid: chosen is null, error says why, exit 1' '
	{ certsel -s store --name nowhere.example.test --json >none.json 2>err; test $? = 1; } &&
	python3 -c "
import json
d = json.load(open(\"none.json\"))
assert d[\"chosen\"] is None
assert d[\"error\"] == \"no valid certificate in '"'"'store'"'"'\", d[\"error\"]
assert all(c[\"rank\"] is None for c in d[\"candidates\"])
"
'

test_done
