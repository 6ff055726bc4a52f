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
