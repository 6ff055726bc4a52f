#!/bin/bash
# owa-cas sign-in and sessions over HTTP: a generic error for a wrong
# password or user, throttling per user, the sealed cookie (Secure when
# configured, HttpOnly, SameSite=Strict) accepted by a second instance
# with the same master secret and refused by one with another, a changed
# cookie refused, a cookie replayed after logout refused, a state change
# without the CSRF token refused, the public timeout.
. "$(dirname "$0")/lib.sh"
need owa-cas curl jq

owa_setup '"public_timeout": "4s", "login_user_failures": 3, "login_address_failures": 8'
owa_start owa1 || bail "owa-cas did not start"
URL1=$OWA_URL
cp "$OWA_CONF" "$OWA_DIR/other.json"
head -c 48 /dev/urandom | base64 >"$OWA_DIR/secret2"
jq --arg s "$OWA_DIR/secret2" '."owa-cas".secret_file = $s' "$OWA_CONF" >"$OWA_DIR/other.json"
owa_start owa2 || bail "second owa-cas did not start"
URL2=$OWA_URL
owa_start owa3 "$OWA_DIR/other.json" || bail "third owa-cas did not start"
URL3=$OWA_URL

test_expect_success '-n checks the secret and state directory the server needs, making nothing' '
	owa-cas -n -c "$OWA_CONF" 2>err &&
	test_grep -q "config ok" err &&
	jq --arg s "$OWA_DIR/no-such-secret" '"'"'."owa-cas".secret_file = $s'"'"' "$OWA_CONF" >nosecret.json &&
	{ owa-cas -n -c nosecret.json 2>err; test $? = 78; } &&
	test_grep -q "cannot use the session secret .*no-such-secret" err &&
	jq --arg d "$OWA_DIR/new-state/sub" '"'"'."owa-cas".state_dir = $d'"'"' "$OWA_CONF" >newstate.json &&
	owa-cas -n -c newstate.json 2>err &&
	test ! -e "$OWA_DIR/new-state"
'

login() { # USER PASSWORD [TRUST] -> cookie jar "jar", headers "h"
	curl -s -o body -D h -c jar -b jar --data-urlencode "user=$1" \
		--data-urlencode "password=$2" -d "trust=${3:-public}" "$URL1/login"
}
cookie() { awk '$6 == "owa" { print $7 }' jar; }

test_expect_success 'the sign-in page offers public and private computer' '
	curl -s "$URL1/login" >page &&
	test_grep -q "public or shared computer" page &&
	test_grep -q "private computer" page &&
	curl -s -o /dev/null -w "%{http_code} %{redirect_url}\n" "$URL1/mail" >out &&
	echo "303 $URL1/login" >want && test_cmp want out
'

test_expect_success 'a good password signs in: a sealed cookie, HttpOnly, SameSite=Strict' '
	login carol "carol-Secret-3!" &&
	head -n 1 h | grep -q " 303" &&
	test_grep -i "^Set-Cookie: owa=v1\.P\.[0-9]*\.[A-Za-z0-9_-]*; Path=/; HttpOnly; SameSite=Strict" h &&
	! grep -qi "carol" jar &&
	curl -s -b jar "$URL1/mail" >page &&
	test_grep -q "carol@example.test" page &&
	test_grep -q "<h1>Inbox" page
'

test_expect_success 'wrong password and unknown user get the same message' '
	login carol wrong && mv body b1 &&
	head -n 1 h | grep -q " 401" &&
	login nobody-here wrong && mv body b2 &&
	test_grep -q "The user name or password is incorrect." b1 &&
	test_grep -q "The user name or password is incorrect." b2 &&
	test_grep "sign-in failed user=carol" "$TEST_TMP/owa1.log"
'

test_expect_success 'after 3 failures the user is throttled, even with the right password' '
	login dave bad1 && login dave bad2 && login dave bad3 &&
	login dave dave-Secret-4 &&
	head -n 1 h | grep -q " 429" &&
	test_grep -q "Too many failed sign-ins" body &&
	test_grep "sign-in throttled user=dave" "$TEST_TMP/owa1.log"
'

test_expect_success 'the cookie opens the session on a second instance with the same secret' '
	rm -f jar && login carol "carol-Secret-3!" &&
	c=$(cookie) && test -n "$c" &&
	curl -s -o page -w "%{http_code}\n" -H "Cookie: owa=$c" "$URL2/mail" >code &&
	echo 200 >want && test_cmp want code &&
	test_grep -q "carol@example.test" page
'

test_expect_success 'an instance with another secret refuses it' '
	c=$(cookie) &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "Cookie: owa=$c" "$URL3/mail" >code &&
	echo 303 >want && test_cmp want code
'

test_expect_success 'a cookie with one character changed is refused' '
	c=$(cookie) &&
	last=${c: -1} && if [ "$last" = A ]; then n=B; else n=A; fi &&
	bad=${c%?}$n &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "Cookie: owa=$bad" "$URL1/mail" >code &&
	echo 303 >want && test_cmp want code &&
	test_grep "session refused reason=bad" "$TEST_TMP/owa1.log"
'

test_expect_success 'the Secure flag is on unless cookie_secure is false' '
	jq ".\"owa-cas\".cookie_secure = true" "$OWA_CONF" >"$OWA_DIR/secure.json" &&
	owa_start owa4 "$OWA_DIR/secure.json" &&
	curl -s -o /dev/null -D h4 --data-urlencode "user=carol" \
		--data-urlencode "password=carol-Secret-3!" "$OWA_URL/login" &&
	test_grep -i "^Set-Cookie: owa=.*; Secure; HttpOnly; SameSite=Strict" h4
'

# The public timeout is 4 s: each test below signs in afresh, so a slow
# machine does not end the session before it is used.
test_expect_success 'a state change without the CSRF token is refused' '
	rm -f jar && login carol "carol-Secret-3!" &&
	curl -s -o body -w "%{http_code}\n" -b jar -d "f=&op=read&m=x" "$URL1/act" >code &&
	echo 403 >want && test_cmp want code &&
	test_grep "refused: CSRF token missing or wrong" "$TEST_TMP/owa1.log"
'

test_expect_success 'logout ends the session; the old cookie replayed is refused everywhere' '
	rm -f jar && login carol "carol-Secret-3!" &&
	c=$(cookie) &&
	curl -s -b jar "$URL1/mail" >page &&
	tok=$(sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" page | head -n 1) &&
	test -n "$tok" &&
	curl -s -o /dev/null -D hl -b jar -c jar -d "csrf=$tok" "$URL1/logout" &&
	test_grep -i "^Location: /login?why=out" hl &&
	test_grep -i "^Set-Cookie: owa=x; Path=/; Max-Age=0" hl &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "Cookie: owa=$c" "$URL1/mail" >code &&
	echo 303 >want && test_cmp want code &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "Cookie: owa=$c" "$URL2/mail" >code &&
	test_cmp want code &&
	test_grep "session refused reason=revoked" "$TEST_TMP/owa1.log"
'

test_expect_success 'a public session ends after the inactivity timeout; activity keeps it' '
	rm -f jar && login carol "carol-Secret-3!" &&
	sleep 2 && curl -s -o /dev/null -w "%{http_code}\n" -b jar -c jar "$URL1/mail" >code &&
	sleep 2 && curl -s -o /dev/null -w "%{http_code}\n" -b jar -c jar "$URL1/mail" >>code &&
	printf "200\n200\n" >want && test_cmp want code &&
	sleep 5 &&
	curl -s -o /dev/null -w "%{http_code} %{redirect_url}\n" -b jar "$URL1/mail" >code &&
	echo "303 $URL1/login?why=expired" >want && test_cmp want code
'

test_expect_success 'after 8 failures from one address, every user from it is throttled' '
	login erin x1 && login erin x2 && login bob x3 &&
	login carol "carol-Secret-3!" &&
	head -n 1 h | grep -q " 429" &&
	test_grep "sign-in throttled user=carol client=127.0.0.1" "$TEST_TMP/owa1.log"
'

test_done
