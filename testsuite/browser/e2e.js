// The end-to-end test's reader (t1500): in Chromium, a person signs in to
// the demo's owa-cas, reads the clean mail that came through smtp-edge,
// looks into Junk, opens the voicemail and fetches its audio, then wipes
// the phone from the options page. Prints what it saw as JSON for the
// shell test to check; screenshots go to $BROWSER_SHOTS.
// Usage: node e2e.js URL USER PASSWORD CLEAN_SUBJECT SPAM_SUBJECT DEVICE_ID OUT_JSON
'use strict';
const fs = require('fs');
const { launch } = require('./launch');

const [url, user, password, clean, spam, device, outFile] = process.argv.slice(2);
const shots = process.env.BROWSER_SHOTS || '.';
const out = {};

async function shot(page, name) {
	await page.screenshot({ path: `${shots}/e2e-${name}.png`, fullPage: true });
}

async function subjects(page) {
	return page.$$eval('td.subject a', (as) => as.map((a) => a.textContent.trim()));
}

async function main() {
	const ctx = await launch({ viewport: { width: 1200, height: 800 } });
	const page = ctx.pages()[0] || await ctx.newPage();
	page.on('dialog', (d) => d.accept().catch(() => {}));
	try {
		await page.goto(url + '/login');
		await page.fill('input[name=user]', user);
		await page.fill('input[name=password]', password);
		await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
		out.after_login = new URL(page.url()).pathname;
		out.inbox = await subjects(page);
		await shot(page, 'inbox');

		// The clean mail, read: its subject and the text in the body frame.
		await Promise.all([page.waitForNavigation(),
			page.click(`td.subject a:text-is(${JSON.stringify(clean)})`)]);
		await page.waitForTimeout(300);
		out.read_title = (await page.textContent('article.message h1')).trim();
		const frame = page.frames().find((f) => f.url().includes('/body?'));
		out.read_body = frame ? (await frame.textContent('body')).trim() : null;
		await shot(page, 'read');

		// Junk holds the spam.
		await page.goto(url + '/mail?f=Junk');
		out.junk = await subjects(page);
		out.junk_has_spam = out.junk.includes(spam);
		await shot(page, 'junk');

		// The voicemail and its audio attachment.
		await page.goto(url + '/mail');
		await Promise.all([page.waitForNavigation(), page.click('td.subject a:text("Voicemail from")')]);
		out.voicemail_title = (await page.textContent('article.message h1')).trim();
		out.voicemail_attachments = await page.$$eval('ul.attachments li a',
			(as) => as.map((a) => ({ name: a.textContent.trim(), href: a.getAttribute('href') })));
		const wav = out.voicemail_attachments.find((a) => /\.wav$/.test(a.name));
		if (wav) {
			const r = await page.request.get(url + wav.href);
			const body = await r.body();
			out.voicemail_audio = {
				status: r.status(), type: r.headers()['content-type'], bytes: body.length,
				riff: body.slice(0, 4).toString('latin1'), wave: body.slice(8, 12).toString('latin1'),
			};
		}
		await shot(page, 'voicemail');

		// The phone on the options page, wiped.
		await page.goto(url + '/options');
		const row = page.locator('table.devices tr', { hasText: device });
		out.device_listed = await row.count();
		await Promise.all([page.waitForNavigation(), row.locator('button[value=wipe]').click()]);
		out.wipe_note = await page.textContent('p.note').catch(() => null);
		out.device_row_after = (await page.locator('table.devices tr', { hasText: device })
			.textContent().catch(() => '')).trim();
		await shot(page, 'wiped');
	} catch (e) {
		out.error = String(e && e.message || e);
	}
	await ctx.close();
	fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + '\n');
	process.exit(out.error ? 1 : 0);
}

main();
