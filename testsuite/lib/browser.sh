# Headless Chromium from Debian driven by playwright-core (testsuite/node):
# browser_run SCRIPT ARGS... runs testsuite/browser/SCRIPT with node, a
# fresh profile under $TEST_TMP and screenshots kept in $BROWSER_SHOTS.

browser_need() {
	need node chromium
	[ -d "$SRCDIR/testsuite/node/node_modules/playwright-core" ] ||
		bail "missing testsuite/node/node_modules/playwright-core (npm ci in testsuite/node)"
}

browser_run() {
	local script=$1
	shift
	mkdir -p "$TEST_TMP/chromium-profile" "${BROWSER_SHOTS:=$TEST_TMP/shots}"
	NODE_PATH=$SRCDIR/testsuite/node/node_modules \
	BROWSER_PROFILE=$TEST_TMP/chromium-profile.$$.$RANDOM \
	BROWSER_SHOTS=$BROWSER_SHOTS \
		node "$SRCDIR/testsuite/browser/$script" "$@"
}

# owa-cas fixtures.
#   owa_setup [EXTRA_JSON]   writes $OWA_CONF: the file directory of
#                            testsuite/fixtures/dir (carol and dave have no
#                            mailbox path: theirs is $OWA_MAIL/%u), a
#                            master secret, state under $TEST_TMP/owa,
#                            plain HTTP (cookie_secure false); EXTRA_JSON
#                            is more members of the owa-cas section
#   owa_start NAME [CONF]    starts owa-cas -d on a free port: $OWA_URL
#                            (the last started), log $TEST_TMP/NAME.log
#   owa_msg USER FOLDER NAME FILE   puts a message into a Maildir folder
owa_setup() {
	local extra=${1:+, $1}
	OWA_DIR=$TEST_TMP/owa
	OWA_MAIL=$OWA_DIR/mail
	OWA_CONF=$OWA_DIR/owa.json
	mkdir -p "$OWA_DIR/state" "$OWA_MAIL"
	[ -f "$OWA_DIR/secret" ] ||
		{ head -c 48 /dev/urandom | base64 >"$OWA_DIR/secret"; chmod 600 "$OWA_DIR/secret"; }
	cat >"$OWA_CONF" <<OWA_EOF
{
	"log": { "target": "stderr" },
	"directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
	"owa-cas": {
		"listen": [],
		"secret_file": "$OWA_DIR/secret",
		"state_dir": "$OWA_DIR/state",
		"maildir": "$OWA_MAIL/%u",
		"cookie_secure": false,
		"device_store": "$OWA_DIR/devices"$extra
	}
}
OWA_EOF
	export OWA_DIR OWA_MAIL OWA_CONF
}

owa_start() {
	local name=$1 conf=${2:-$OWA_CONF} port
	port=$(free_ports 1) || bail "no free port for owa-cas"
	jq --arg l "127.0.0.1:$port" '."owa-cas".listen = [$l]' "$conf" >"$conf.$name" || return 1
	bg_start "$name" owa-cas -d -c "$conf.$name"
	wait_port "$port" || { tail -n 5 "$TEST_TMP/$name.log" >&2; return 1; }
	OWA_URL=http://127.0.0.1:$port
	export OWA_URL
}

owa_msg() {
	local dir=$OWA_MAIL/$1
	[ -n "$2" ] && dir=$dir/.$2
	mkdir -p "$dir/cur" "$dir/new" "$dir/tmp"
	cp "$4" "$dir/$3"
}
