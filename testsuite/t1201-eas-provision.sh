#!/bin/bash
# A phone's life through eas-policy, with eas-client as the phone and a
# recording HTTP server as the ActiveSync backend: OPTIONS; 142 and 449
# before provisioning; Provision with DeviceInformation, temporary key,
# acknowledgement, final key; FolderSync, Sync (chunked) and Settings
# passed through byte for byte, in both query forms; a long Ping that
# does not hold up another request; the user's policy from the
# directory; a policy change that re-provisions once and never loops; a
# second host sharing the store; remote wipe to its acknowledgement.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need python3 node wbxml2xml jq

EAS_PING_DELAY=4
eas_start || bail "cannot start eas-policy and its backend"
LOG=$TEST_TMP/eas.log
FS=$EAS_FIX/docs/foldersync.xml
nreq() { if [ -f "$EAS_BLOG" ]; then wc -l <"$EAS_BLOG"; else echo 0; fi; }

test_expect_success 'OPTIONS lists the versions and commands' '
	eas_dev --options >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "^header MS-ASProtocolVersions: 12.0,12.1,14.0,14.1,16.0,16.1$" out &&
	test_grep -q "^header MS-ASProtocolCommands: Sync,.*,Provision,.*Find$" out &&
	test "$(nreq)" = 0
'

test_expect_success '14.1 FolderSync without a key: Status 142, not passed on' '
	eas_dev -U alice:pw -d DEV1 --save s142.wbxml FolderSync <"$FS" >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "<Status>142</Status>" out &&
	test "$(nreq)" = 0 &&
	test_grep -q "refused user=alice device=DEV1 cmd=FolderSync reason=not-provisioned status=142" "$LOG"
'

test_expect_success '12.1 FolderSync without a key: HTTP 449' '
	eas_dev -U alice:pw -d DEV1 -p 12.1 FolderSync <"$FS" >out &&
	test_grep -q "^status=449" out &&
	test "$(nreq)" = 0
'

test_expect_success 'Provision with key 0: the policy, a temporary key, DeviceInformation recorded' '
	eas_dev -U alice:pw -d DEV1 -t Android -k 0 --save prov1.wbxml Provision \
		<"$EAS_FIX/docs/provision-initial.xml" >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "^header Content-Type: application/vnd.ms-sync.wbxml" out &&
	sed -n "s/.*<PolicyKey>\([0-9]*\)<.*/\1/p" out >tempkey &&
	test -s tempkey &&
	test_grep -q "<settings:Status>1</settings:Status>" out &&
	test_grep -q "<MinDevicePasswordLength>6</MinDevicePasswordLength>" out &&
	test_grep -q "<MaxDevicePasswordFailedAttempts>8</MaxDevicePasswordFailedAttempts>" out &&
	test_grep -q "<MaxInactivityTimeDeviceLock>900</MaxInactivityTimeDeviceLock>" out &&
	eas-policy -c "$EAS_CONF" devices --json >dev.json &&
	test "$(jq -r ".[0].model" dev.json)" = "Pixel 8" &&
	test "$(jq -r ".[0].mobile_operator" dev.json)" = "Orange F" &&
	test "$(jq -r ".[0].key_state" dev.json)" = temporary &&
	test "$(jq -r ".[0].device_type" dev.json)" = Android &&
	test_grep -q "provision user=alice device=DEV1 protocol=14.1 policy=default result=policy-sent" "$LOG"
'

test_expect_success 'the Provision reply decodes with wbxml2xml and aswbxml to what we printed' '
	sed -n "/^<?xml/,\$p" out >prov1.ours.xml &&
	wbxml2xml -l ACTIVESYNC -o prov1.lib.xml prov1.wbxml >/dev/null &&
	eas_canon prov1.ours.xml >want && eas_canon prov1.lib.xml >got &&
	test_cmp want got &&
	NODE_PATH=$SRCDIR/testsuite/node/node_modules node "$EAS_FIX/aswbxml-paths.js" prov1.wbxml >asw &&
	python3 "$EAS_FIX/xmltree.py" --paths prov1.ours.xml >paths &&
	test_cmp paths asw &&
	test_grep -q "^Provision/Policies/Policy/Data/EASProvisionDoc/DevicePasswordEnabled=1$" asw
'

test_expect_success 'the temporary key does not pass: Status 144' '
	eas_dev -U alice:pw -d DEV1 -k "$(cat tempkey)" --save s144.wbxml FolderSync <"$FS" >out &&
	test_grep -q "<Status>144</Status>" out && test "$(nreq)" = 0
'

test_expect_success 'acknowledging a wrong key: Policy Status 5, no key' '
	eas_dev -U alice:pw -d DEV1 -k 12345 --save wrongkey.wbxml Provision >out <<-EOF &&
	<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>12345</PolicyKey><Status>1</Status></Policy></Policies></Provision>
	EOF
	test_grep -q "<Status>5</Status>" out && ! grep -q PolicyKey out
'

test_expect_success 'the acknowledgement gets the final key' '
	t=$(cat tempkey) &&
	eas_dev -U alice:pw -d DEV1 -t Android -k "$t" --save final.wbxml Provision >out <<-EOF &&
	<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>$t</PolicyKey><Status>1</Status></Policy></Policies></Provision>
	EOF
	sed -n "s/.*<PolicyKey>\([0-9]*\)<.*/\1/p" out >key &&
	test -s key && test "$(cat key)" != "$t" &&
	! grep -q EASProvisionDoc out &&
	eas-policy -c "$EAS_CONF" devices >list &&
	test_grep -q "^alice  *DEV1  *Android  *Pixel 8  *Android 14 .* default  *provisioned  *none$" list
'

test_expect_success 'with the final key FolderSync reaches the backend unchanged' '
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" --save fs.reply FolderSync <"$FS" >out &&
	test_grep -q "^status=200" out &&
	test_grep -q "^header X-Backend: seen" out &&
	test_grep -q "<SyncKey>1</SyncKey>" out &&
	test "$(nreq)" = 1 &&
	tail -n 1 "$EAS_BLOG" >req.json &&
	test "$(jq -r .target req.json)" = "/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alice&DeviceId=DEV1&DeviceType=TestPhone" &&
	test "$(jq -r ".headers[\"X-MS-PolicyKey\"]" req.json)" = "$(cat key)" &&
	test "$(jq -r ".headers[\"MS-ASProtocolVersion\"]" req.json)" = 14.1 &&
	test "$(jq -r ".headers.Authorization" req.json)" = "Basic YWxpY2U6cHc=" &&
	test "$(jq -r ".headers[\"X-Forwarded-For\"]" req.json)" = 127.0.0.1 &&
	test "$(jq -r ".headers.Accept" req.json)" = "*/*" &&
	eas-policy -c "$EAS_CONF" encode <"$FS" | od -An -tx1 | tr -d " \n" >want.hex &&
	test "$(jq -r .body req.json)" = "$(cat want.hex)"
'

test_expect_success 'the base64 query form with the key passes, its query unchanged' '
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" --base64 FolderSync <"$FS" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	test "$(nreq)" = 2 &&
	tail -n 1 "$EAS_BLOG" | jq -r .target >target &&
	test_grep -q "^/Microsoft-Server-ActiveSync?jQkJBARERVYx" target
'

test_expect_success 'the base64 form with a wrong key: Status 144' '
	eas_dev -U alice:pw -d DEV1 -k 99 --base64 FolderSync <"$FS" >out &&
	test_grep -q "<Status>144</Status>" out && test "$(nreq)" = 2
'

test_expect_success 'a chunked backend reply is streamed back whole' '
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" Sync <"$EAS_FIX/docs/sync.xml" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	test_grep -q "<SyncKey>1</SyncKey>" out &&
	test "$(nreq)" = 3
'

test_expect_success 'a long Ping does not hold up the same device'"'"'s other requests' '
	k=$(cat key) || exit 1
	eas_dev -U alice:pw -d DEV1 -k "$k" Ping <"$EAS_FIX/docs/ping.xml" >ping.out &
	ping=$!

	sleep 0.5 &&
	eas_dev -U alice:pw -d DEV1 -k "$k" FolderSync <"$FS" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	# The Ping (held 4 s by the backend) has not answered yet.
	! test -s ping.out &&
	wait $ping &&
	test_grep -q "^header X-Backend: seen" ping.out
'

test_expect_success 'Settings: DeviceInformation and recovery password recorded, request passed on' '
	n=$(nreq) &&
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" Settings <"$EAS_FIX/docs/settings.xml" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	test "$(nreq)" = $((n + 1)) &&
	eas-policy -c "$EAS_CONF" recovery alice DEV1 >rec &&
	echo "R3cover-Me 42" >want && test_cmp want rec &&
	eas-policy -c "$EAS_CONF" devices --user ALICE --json >dev.json &&
	test "$(jq -r ".[0].model" dev.json)" = "iPhone15,2" &&
	test "$(jq -r ".[0].recovery_password_stored" dev.json)" = true &&
	test "$(jq -r ".[0].recovery_password" dev.json)" = null &&
	test_grep -q "settings recorded user=alice device=DEV1 device_information=yes recovery_password=stored" "$LOG" &&
	! grep -q "R3cover" "$LOG" &&
	test "$(stat -c %a "$EAS_STORE/alice,DEV1.json")" = 600
'

test_expect_success 'the directory gives exec1 the executives policy' '
	eas_dev -U exec1:pw -d EXEC1 -k 0 Provision <"$EAS_FIX/docs/provision-initial.xml" >out &&
	test_grep -q "<AlphanumericDevicePasswordRequired>1</AlphanumericDevicePasswordRequired>" out &&
	test_grep -q "<AttachmentsEnabled>0</AttachmentsEnabled>" out &&
	test_grep -q "<MinDevicePasswordLength>8</MinDevicePasswordLength>" out
'

test_expect_success 'a partial acknowledgement under allow_partial false: Status 139, no key' '
	t=$(sed -n "s/.*<PolicyKey>\([0-9]*\)<.*/\1/p" out) && test -n "$t" &&
	eas_dev -U exec1:pw -d EXEC1 -k "$t" Provision >ack <<-EOF &&
	<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>$t</PolicyKey><Status>2</Status></Policy></Policies></Provision>
	EOF
	test_grep -q "<Status>139</Status>" ack && ! grep -q PolicyKey ack &&
	eas-policy -c "$EAS_CONF" devices --user exec1 --json | jq -r ".[0].key_state" >st &&
	echo none >want && test_cmp want st
'

test_expect_success 'a policy name the config lacks falls back to the default, with a warning' '
	eas_dev -U nopol:pw -d NOPOL -k 0 Provision <"$EAS_FIX/docs/provision-initial.xml" >out &&
	test_grep -q "<MinDevicePasswordLength>6</MinDevicePasswordLength>" out &&
	test_grep -q "unknown policy in the directory user=nopol policy=no-such-policy" "$LOG"
'

test_expect_success 'provisioning again with an unchanged policy gives the same key (no loop)' '
	k2=$(eas_provision alice DEV1) &&
	test "$k2" = "$(cat key)"
'

test_expect_success 'a second host with the same config and store accepts the key' '
	p2=$(free_ports 1) &&
	sed "s/127.0.0.1:$EAS_PORT/127.0.0.1:$p2/" "$EAS_CONF" >second.json &&
	{ eas-policy -c second.json -d >second.log 2>&1 & echo $! >"$TEST_TMP/second.pid"; } &&
	wait_port "$p2" &&
	eas-client -u "http://127.0.0.1:$p2" -U alice:pw -d DEV1 -k "$(cat key)" FolderSync <"$FS" >out &&
	kill "$(cat "$TEST_TMP/second.pid")" &&
	test_grep -q "^header X-Backend: seen" out
'

test_expect_success 'a changed policy (SIGHUP) refuses the old key (144), re-provisions once, then passes' '
	sed "s/\"min_length\": 6/\"min_length\": 7/" "$EAS_CONF" >changed.json &&
	cp changed.json "$EAS_CONF" &&
	kill -HUP "$(cat "$TEST_TMP/eas.pid")" &&
	for i in $(seq 50); do grep -q "reloaded config=" "$LOG" && break; sleep 0.1; done &&
	test_grep -q "reloaded config=.* policies=2" "$LOG" &&
	eas-policy -c "$EAS_CONF" devices --user alice --json |
		jq -r ".[] | select(.device_id==\"DEV1\") | .key_state" >st &&
	echo outdated >want && test_cmp want st &&
	n=$(nreq) &&
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" FolderSync <"$FS" >out &&
	test_grep -q "<Status>144</Status>" out && test "$(nreq)" = "$n" &&
	k3=$(eas_provision alice DEV1) && test -n "$k3" && test "$k3" != "$(cat key)" &&
	k4=$(eas_provision alice DEV1) && test "$k4" = "$k3" &&
	eas_dev -U alice:pw -d DEV1 -k "$k3" FolderSync <"$FS" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	echo "$k3" >key
'

test_expect_success 'a broken config on SIGHUP keeps the old one in force' '
	cp "$EAS_CONF" good.json &&
	echo "{ broken" >"$EAS_CONF" &&
	kill -HUP "$(cat "$TEST_TMP/eas.pid")" &&
	for i in $(seq 50); do grep -q "reload failed" "$LOG" && break; sleep 0.1; done &&
	cp good.json "$EAS_CONF" &&
	test_grep -q "reload failed: the old config stays in force" "$LOG" &&
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" FolderSync <"$FS" >out &&
	test_grep -q "^header X-Backend: seen" out
'

test_expect_success 'wipe marks the device; the next request gets 140, a 12.1 one 449' '
	eas-policy -c "$EAS_CONF" wipe alice DEV1 >w.out &&
	test_grep -q "^wipe pending: alice DEV1" w.out &&
	n=$(nreq) &&
	eas_dev -U alice:pw -d DEV1 -k "$(cat key)" --save s140.wbxml Ping <"$EAS_FIX/docs/ping.xml" >out &&
	test_grep -q "<Status>140</Status>" out &&
	eas_dev -U alice:pw -d DEV1 -p 12.1 -k "$(cat key)" FolderSync <"$FS" >out &&
	test_grep -q "^status=449" out &&
	test "$(nreq)" = "$n" &&
	eas-policy -c "$EAS_CONF" devices --json | jq -r ".[] | select(.device_id==\"DEV1\") | .wipe" >st &&
	echo pending >want && test_cmp want st
'

test_expect_success 'the (empty, as MS-ASPROV says) Provision gets RemoteWipe and no policy' '
	echo "<Provision xmlns=\"Provision:\"/>" |
	eas_dev -U alice:pw -d DEV1 -k 0 --save wipe.wbxml Provision >out &&
	test_grep -q "<RemoteWipe/>" out && ! grep -q PolicyKey out &&
	eas-policy -c "$EAS_CONF" devices --json | jq -r ".[] | select(.device_id==\"DEV1\") | .wipe" >st &&
	echo sent >want && test_cmp want st
'

test_expect_success 'the acknowledgement is recorded with its time and status' '
	eas_dev -U alice:pw -d DEV1 --save wipeack.wbxml Provision <"$EAS_FIX/docs/provision-wipe-ack.xml" >out &&
	test_grep -q "<Status>1</Status>" out &&
	eas-policy -c "$EAS_CONF" devices --json >dev.json &&
	jq -e ".[] | select(.device_id==\"DEV1\") | .wipe == \"done\" and .wipe_status == 1 and (.wipe_acknowledged | test(\"^20[0-9-]+T\"))" dev.json &&
	eas-policy -c "$EAS_CONF" devices --user alice >list &&
	test_grep -q "DEV1 .* done(status=1)$" list &&
	test_grep -q "remote wipe acknowledged user=alice device=DEV1 status=1" "$LOG"
'

test_expect_success 'a user the directory does not know: no policy, never the backend' '
	n=$(nreq) &&
	eas_dev -U mallory:pw -d EVIL -k 0 --save nopolicy.wbxml Provision <"$EAS_FIX/docs/provision-initial.xml" >out &&
	test_grep -q "<Status>2</Status>" out && ! grep -q "<PolicyKey>" out &&
	eas_dev -U mallory:pw -d EVIL -k 12345 FolderSync <"$FS" >out &&
	test_grep -q "<Status>142</Status>" out &&
	test "$(nreq)" = "$n" &&
	test_grep -q "refused user=mallory device=EVIL cmd=FolderSync reason=unknown-user" "$LOG" &&
	! ls "$EAS_STORE" | grep -q mallory
'

test_expect_success 'every reply eas-policy wrote decodes with wbxml2xml to the tree we read' '
	for f in s142 s144 s140 wrongkey final wipe wipeack nopolicy; do
		test -s $f.wbxml || { echo "no $f.wbxml"; exit 1; }
		eas-policy -c "$EAS_CONF" decode <$f.wbxml >$f.ours.xml &&
		wbxml2xml -l ACTIVESYNC -o $f.lib.xml $f.wbxml >/dev/null || exit 1
	done &&
	python3 "$EAS_FIX/xmltree.py" --batch *.ours.xml *.lib.xml &&
	for f in s142 s144 s140 wrongkey final wipe wipeack nopolicy; do
		test_cmp $f.ours.xml.tree $f.lib.xml.tree || exit 1
	done &&
	test_grep -q "^1 Ping:Status=140$" s140.lib.xml.tree &&
	test_grep -q "^1 FolderHierarchy:Status=144$" s144.lib.xml.tree &&
	test_grep -q "^1 Provision:RemoteWipe$" wipe.lib.xml.tree
'

test_done
