#!/bin/bash
# The file backend's LDIF: errors name the file and line, limits hold,
# refused constructs say why, the file reloads when it changes, plain-text
# passwords are refused, and 10,000 users load and answer quickly.
. "$(dirname "$0")/lib.sh"
need postern-testd mkfifo awk
T=$TEST_TMP
FIX=$SRCDIR/testsuite/fixtures/dir

# conf FILE.ldif: writes FILE.json pointing at FILE.ldif.
conf() {
	printf '{ "directory": { "backend": "file", "file": "%s" } }\n' "$T/$1.ldif" >"$T/$1.json"
}

# bad NAME LINE MESSAGE: FILE.ldif (already written) fails to load with
# exit 78 and "FILE:LINE: MESSAGE".
bad() {
	conf "$1"
	postern-testd -c "$T/$1.json" lookup uid alice 2>"$T/$1.err"
	local rc=$?
	[ $rc = 78 ] || { echo "exit $rc, expected 78"; return 1; }
	test_grep -F "cannot open the directory: $T/$1.ldif:$2: $3" "$T/$1.err"
}

printf 'dn: uid=a,dc=test\nuid: a\nmail:: bm90IGJhc2U2NA=!=\n' >"$T/b64.ldif"
test_expect_success 'bad base64 names file and line' \
	"bad b64 3 \"bad base64 value of 'mail'\""

printf 'version: 1\n\n# a comment\n#  folded\n continued comment\ndn: uid=a,dc=test\nuid: a\njpegPhoto:< file:///etc/passwd\n' >"$T/url.ldif"
test_expect_success 'URL values are refused, line counted past comments' \
	"bad url 8 \"URL values (':<') are not supported in 'jpegPhoto'\""

printf 'dn: uid=a,dc=test\nchangetype: modify\nreplace: mail\nmail: x@y\n' >"$T/modify.ldif"
test_expect_success 'change records are refused' \
	"bad modify 2 \"'changetype: modify' is not supported (content records only)\""

printf '\n\ncn: nobody\n' >"$T/nodn.ldif"
test_expect_success 'a record must start with dn' \
	"bad nodn 3 \"record starts with 'cn:', expected 'dn:'\""

printf 'dn: uid=a,dc=test\nuid a\n' >"$T/colon.ldif"
test_expect_success 'a line without a colon' \
	"bad colon 2 \"missing ':' after the attribute name\""

printf ' folded: nothing\ndn: uid=a,dc=test\n' >"$T/fold.ldif"
test_expect_success 'a continuation with nothing before it' \
	"bad fold 1 \"line starts with a space but continues nothing\""

printf 'dn: uid=a,dc=test\nuid: a\n\ndn: UID=A,dc=test\nuid: b\n' >"$T/dup.ldif"
test_expect_success 'duplicate dn' "bad dup 4 \"duplicate dn 'UID=A,dc=test'\""

printf 'dn: uid=a,dc=test\nuid: a\ndn: uid=b,dc=test\n' >"$T/twodn.ldif"
test_expect_success 'two dn lines in one record' \
	"bad twodn 3 \"second 'dn:' in one record (blank line missing?)\""

printf 'version: 2\n' >"$T/version.ldif"
test_expect_success 'only LDIF version 1' "bad version 1 \"unsupported LDIF version '2'\""

printf 'dn: uid=a,dc=test\nc_n: x\n' >"$T/name.ldif"
test_expect_success 'bad attribute description' "bad name 2 \"bad attribute name before ':'\""

{ printf 'dn: uid=a,dc=test\nuid: a\n\n'; printf 'dn: uid=b,dc=test\ndescription: '
  head -c 300000 /dev/zero | tr '\0' x; printf '\n'; } >"$T/long.ldif"
test_expect_success 'a line over the limit' "bad long 5 \"line longer than 262144 bytes\""

{ printf 'dn: uid=a,dc=test\nuid: a\n'; for i in $(seq 1 4100); do echo "description: $i"; done; } \
	>"$T/many.ldif"
test_expect_success 'too many values in one entry' \
	"bad many 4098 \"more than 4096 values in entry 'uid=a,dc=test'\""

test_expect_success 'missing file is a config error naming it' '
	printf "{ \"directory\": { \"file\": \"%s\" } }\n" "$T/nowhere.ldif" >nowhere.json &&
	{ postern-testd -c nowhere.json lookup uid a 2>err; test $? = 78; } &&
	test_grep "cannot open .*nowhere.ldif.: No such file or directory" err
'

# What must load: CRLF line ends, "changetype: add", folded values,
# options, a trailing record without a final newline.
printf 'version: 1\r\n\r\ndn: uid=zed,dc=test\r\nchangetype: add\r\nuid: zed\r\nmail: z\r\n ed@example.test\r\ndescription;lang-fr: \xc3\xa9t\xc3\xa9\r\n\r\ndn: uid=yan,dc=test\nuid: yan' >"$T/ok.ldif"
conf ok
test_expect_success 'CRLF, changetype add, folding, options, no final newline' '
	postern-testd -c ok.json lookup mail zed@example.test >out &&
	printf "dn: uid=zed,dc=test\nuid: zed\nmail: zed@example.test\ndescription;lang-fr:: w6l0w6k=\n\n" >expect &&
	test_cmp expect out &&
	postern-testd -c ok.json lookup uid yan >out &&
	test_grep -x "dn: uid=yan,dc=test" out
'

printf 'dn: uid=pat,dc=test\nuid: pat\nuserPassword: plain-Secret-5\n\ndn: uid=sam,dc=test\nuid: sam\nuserPassword: {MD5}X03MO1qnZdYdgyfeuILPmQ==\n' >"$T/plain.ldif"
conf plain
test_expect_code 1 'a plain-text password is refused' \
	'echo plain-Secret-5 | postern-testd -c plain.json auth pat'
test_expect_success 'with a warning that does not show it' '
	echo plain-Secret-5 | postern-testd -c plain.json auth pat 2>err; test $? = 1 &&
	test_grep "plain-text userPassword refused" err &&
	! grep plain-Secret-5 err
'
test_expect_success 'an unknown scheme is refused and named' '
	echo password | postern-testd -c plain.json auth sam 2>err; test $? = 1 &&
	test_grep "unsupported userPassword scheme refused dn=\"uid=sam,dc=test\" scheme=MD5" err
'

# Reload: one process looks up, the file changes under it.
cp "$FIX/users.ldif" "$T/live.ldif"
conf live
mkfifo "$T/in"
postern-testd -c "$T/live.json" lookup uid - <"$T/in" >"$T/session.out" 2>"$T/session.log" &
session=$!
cleanup_push "kill $session"
exec 3>"$T/in"
answers() {
	local i=0
	while [ "$(grep -c '^$' "$T/session.out")" -lt "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}
echo zoe >&3; answers 1
{ cat "$FIX/users.ldif"; printf '\ndn: uid=zoe,dc=example,dc=test\nobjectClass: account\nuid: zoe\n'; } \
	>"$T/live.new" && mv "$T/live.new" "$T/live.ldif"
sleep 1.1
echo zoe >&3; answers 2
printf 'dn: uid=broken,dc=test\nuid:: !!\n' >"$T/live.new" && mv "$T/live.new" "$T/live.ldif"
sleep 1.1
echo zoe >&3; answers 3
exec 3>&-
wait $session
test_expect_success 'a changed file is reloaded' '
	test_grep -x "# not found: zoe" session.out &&
	test_grep -x "dn: uid=zoe,dc=example,dc=test" session.out &&
	test_grep "directory reloaded path=$T/live.ldif entries=8" session.log
'
test_expect_success 'a broken new file keeps the old data, and says where' '
	test $(grep -c -x "dn: uid=zoe,dc=example,dc=test" session.out) = 2 &&
	test_grep "cannot reload the directory, keeping the old data: $T/live.ldif:2: bad base64 value of .uid." session.log
'

# 10,000 users.
awk 'BEGIN {
	print "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: x\n"
	for (i = 0; i < 10000; i++) {
		printf "dn: uid=user%05d,dc=example,dc=test\nobjectClass: inetOrgPerson\n", i
		printf "uid: user%05d\ncn: User %d\nsn: %d\nmail: user%05d@example.test\n", i, i, i, i
		printf "posternMailAlias: alias%05d@example.test\ntelephoneNumber: +33 9 00 %05d\n", i, i
		print "userPassword: {SSHA}eNOR+VOJBB9zam17+jKI4Pm9lbwBAgMEBQYHCA==\n"
	}
}' >"$T/big.ldif"
conf big
# Well under a second in a plain build; the bound leaves room for ASan on a loaded
# machine (1.2 s seen) and still catches loading that grows as the square.
test_expect_success '10,000 users load and one is found in a few seconds at most' '
	start=$(date +%s%N) &&
	postern-testd -c big.json lookup phone "+33 9 00 09999" >out &&
	end=$(date +%s%N) &&
	test_grep -x "dn: uid=user09999,dc=example,dc=test" out &&
	echo "took $(( (end - start) / 1000000 )) ms" &&
	test $(( (end - start) / 1000000 )) -lt 4000
'
test_expect_success '10,000 lookups by alias in one process take seconds at most' '
	awk "BEGIN { for (i = 9999; i >= 0; i--) printf \"alias%05d@EXAMPLE.test\\n\", i }" >keys &&
	start=$(date +%s%N) &&
	postern-testd -c big.json lookup mail - <keys >out &&
	end=$(date +%s%N) &&
	echo "took $(( (end - start) / 1000000 )) ms" &&
	test $(grep -c "^dn: uid=user" out) = 10000 &&
	test $(( (end - start) / 1000000 )) -lt 5000
'
test_expect_success 'a user among 10,000 checks a password' '
	echo alice-Secret-1 | postern-testd -c big.json auth user04242 >out &&
	test_grep -x "authenticated: user04242" out
'

test_done
