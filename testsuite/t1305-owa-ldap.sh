#!/bin/bash
# owa-cas against slapd (directory in ldap mode: the password checked by
# an LDAP bind), a directory that is down (a temporary failure, not a
# wrong password), and the mobile devices of eas-policy's store on the
# options page: listed, recovery password on request, remote wipe.
. "$(dirname "$0")/lib.sh"
need owa-cas curl jq

slapd_start || bail "slapd did not start"
owa_setup
slapd_conf_ldap "$TEST_TMP/ldap.json"
jq -s '.[0] * .[1]' "$OWA_CONF" "$TEST_TMP/ldap.json" >"$TEST_TMP/owa-ldap.json"
mkdir -p "$OWA_DIR/devices" && chmod 700 "$OWA_DIR/devices"
cat >"$OWA_DIR/devices/dave,phone1.json" <<'DEV'
{ "user": "dave", "device_id": "phone1", "device_type": "Android", "model": "Pixel 8",
  "friendly_name": "Dave's phone", "os": "Android 14", "key_state": "provisioned",
  "wipe": "none", "recovery_password": "R3c0very-42" }
DEV
chmod 600 "$OWA_DIR/devices/dave,phone1.json"
owa_start owa "$TEST_TMP/owa-ldap.json" || bail "owa-cas did not start"
J=$TEST_TMP/jar

test_expect_success 'sign-in checked by an LDAP bind' '
	curl -s -o /dev/null -D h -c "$J" --data-urlencode "user=dave" \
		--data-urlencode "password=dave-Secret-4" "$OWA_URL/login" &&
	test_grep -i "^Location: /mail" h &&
	curl -s -b "$J" "$OWA_URL/mail" | test_grep -q "dave@example.test"
'

test_expect_success 'a wrong password over LDAP gets the generic message' '
	curl -s -o body -w "%{http_code}\n" --data-urlencode "user=dave" \
		--data-urlencode "password=nope" "$OWA_URL/login" >code &&
	echo 401 >want && test_cmp want code &&
	test_grep -q "The user name or password is incorrect." body
'

test_expect_success 'the options page lists the device; the recovery password on request' '
	curl -s -b "$J" "$OWA_URL/options" >page &&
	test_grep -q "Dave&#39;s phone\|Dave.s phone" page &&
	test_grep -q "Android 14" page &&
	! grep -q "R3c0very-42" page &&
	tok=$(sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" page | head -n 1) &&
	curl -s -b "$J" -d "csrf=$tok&dev_user=dave&dev_id=phone1&dev_op=recovery" "$OWA_URL/options" >page2 &&
	test_grep -q "<code class=\"recovery\">R3c0very-42</code>" page2
'

test_expect_success 'a remote wipe is recorded in the store; another user'"'"'s device is not touched' '
	tok=$(curl -s -b "$J" "$OWA_URL/options" | sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" | head -n 1) &&
	curl -s -b "$J" -d "csrf=$tok&dev_user=carol&dev_id=phone1&dev_op=wipe" "$OWA_URL/options" >/dev/null &&
	jq -e ".wipe == \"none\"" "$OWA_DIR/devices/dave,phone1.json" &&
	curl -s -b "$J" -d "csrf=$tok&dev_user=dave&dev_id=phone1&dev_op=wipe" "$OWA_URL/options" >page &&
	test_grep -q "Wipe requested" page &&
	jq -e ".wipe == \"pending\" and .wipe_by == \"owa-cas:dave\"" "$OWA_DIR/devices/dave,phone1.json"
'

test_expect_success 'with the directory down, sign-in is a temporary failure' '
	slapd_stop &&
	curl -s -o body -w "%{http_code}\n" --data-urlencode "user=dave" \
		--data-urlencode "password=dave-Secret-4" "$OWA_URL/login" >code &&
	echo 503 >want && test_cmp want code &&
	test_grep -q "The directory cannot be reached" body
'

test_done
