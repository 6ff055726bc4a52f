# Fixture: gpgsm as an S/MIME peer, with its own GNUPGHOME in $TEST_TMP
# and a trust list holding the fixture root (CRL checks off: the peer's
# dirmngr is not part of what is tested).
#
#   gpgsm_start          makes $GNUPGHOME, imports root and intermediate,
#                        trusts the root; the agent is killed at exit
#   gpgsm_import_key N   imports $PKI/N's key and chain as PKCS#12 (3DES
#                        and SHA-1 MAC: what gpgsm 2.2 reads)
#   gpgsm_b ARGS...      gpgsm in batch mode with the key passphrase
#   smime_split F C S    splits the multipart/signed message F into the
#                        signed part C (CRLF) and the signature S (DER)
#   smime_body F OUT     the base64 body of an application/pkcs7-mime F as DER

GPGSM_PASS=gpgsm-Fixture-1

gpgsm_start() {
	local fp
	GNUPGHOME=$TEST_TMP/gnupg
	export GNUPGHOME
	mkdir -m 700 "$GNUPGHOME" || return 1
	printf 'disable-crl-checks\ndisable-policy-checks\ndisable-dirmngr\n' >"$GNUPGHOME/gpgsm.conf"
	printf 'allow-loopback-pinentry\n' >"$GNUPGHOME/gpg-agent.conf"
	cleanup_push "GNUPGHOME=$GNUPGHOME gpgconf --kill all"
	gpgsm --batch --import "$PKI/root.pem" "$PKI/int.pem" >"$TEST_TMP/gpgsm-import.log" 2>&1 ||
		{ cat "$TEST_TMP/gpgsm-import.log" >&2; return 1; }
	fp=$(openssl x509 -in "$PKI/root.pem" -noout -fingerprint -sha1 | cut -d= -f2) || return 1
	echo "$fp S relax" >"$GNUPGHOME/trustlist.txt"
	gpgconf --launch gpg-agent 2>/dev/null || true
}

gpgsm_import_key() {
	local p12=$TEST_TMP/gpgsm-$1.p12
	openssl pkcs12 -export -in "$PKI/$1-chain.pem" -inkey "$PKI/$1.key" \
		-passout "pass:$GPGSM_PASS" -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES \
		-macalg sha1 -out "$p12" || return 1
	# The agent starts on first use; on a loaded machine (the suite under
	# ASan beside another test) that can take longer than gpgsm waits,
	# and an agent that missed it may not answer: wait longer each try,
	# and from the third, start the agent afresh.
	local try
	for try in 1 2 3 4 5; do
		gpgsm_b --import "$p12" >"$TEST_TMP/gpgsm-import.log" 2>&1 &&
			grep -q "secret keys \(imported\|unchanged\): 1" "$TEST_TMP/gpgsm-import.log" &&
			return 0
		cat "$TEST_TMP/gpgsm-import.log" >>"$TEST_TMP/gpgsm-tries.log"
		if [ "$try" -ge 3 ]; then
			gpgconf --kill gpg-agent 2>/dev/null
			gpgconf --launch gpg-agent 2>/dev/null
		fi
		sleep "$try"
	done
	cat "$TEST_TMP/gpgsm-tries.log" >&2
	return 1
}

gpgsm_b() {
	echo "$GPGSM_PASS" | gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 "$@"
}

smime_split() {
	python3 - "$1" "$2" "$3" <<-\PY
	import base64, re, sys
	text = open(sys.argv[1], newline="", encoding="latin-1").read().replace("\r\n", "\n")
	b = re.search(r'boundary="?([^";\n]+)"?', text).group(1)
	parts = text.split("--" + b)
	# parts[1] is "\n" + the signed part + "\n" (that last line end
	# belongs to the next boundary).
	content = parts[1][1:-1]
	open(sys.argv[2], "wb").write(content.replace("\n", "\r\n").encode("latin-1"))
	sig = parts[2][1:].split("\n\n", 1)[1]
	open(sys.argv[3], "wb").write(base64.b64decode("".join(sig.split())))
	PY
}

smime_body() {
	sed '1,/^\r\{0,1\}$/d' "$1" | base64 -d >"$2"
}
