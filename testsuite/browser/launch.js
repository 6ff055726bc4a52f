// Starts Debian's Chromium headless with a fresh profile and no network of
// its own (no updates, no sync, no QUIC); every test script uses this.
'use strict';
const { chromium } = require('playwright-core');

const FLAGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
];

async function launch(opts = {}) {
	const dir = process.env.BROWSER_PROFILE || '/tmp/postern-chromium-' + process.pid;
	return chromium.launchPersistentContext(dir, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		// playwright gives the fresh dir as --user-data-dir itself.
		args: FLAGS,
		...opts,
	});
}

module.exports = { launch, FLAGS };
