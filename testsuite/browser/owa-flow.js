// A person's session in owa-cas, driven in Chromium: sign in (public or
// private computer), the inbox, reading an HTML message whose remote
// image waits for "show content", the attachments as the session's
// policy shows them, WebReady views, compose and send with an attachment.
// Prints what it saw as JSON for the shell test to check; screenshots of
// the main pages go to $BROWSER_SHOTS.
// Usage: node owa-flow.js URL USER PASSWORD TRUST REMOTE_LOG UPLOAD_FILE OUT_JSON [attachments]
// ("attachments": sign in and look at the attachments only)
'use strict';
const fs = require('fs');
const { launch } = require('./launch');

const [url, user, password, trust, remoteLog, upload, outFile, only] = process.argv.slice(2);
const shots = process.env.BROWSER_SHOTS || '.';
const out = { trust, steps: [] };
const lines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')
	.split('\n').filter((l) => /"GET /.test(l)).length;

async function shot(page, name) {
	await page.screenshot({ path: `${shots}/${trust}-${name}.png`, fullPage: true });
}

async function main() {
	const ctx = await launch({ viewport: { width: 1200, height: 800 } });
	const page = ctx.pages()[0] || await ctx.newPage();
	const dialogs = [];
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

	await page.goto(url + '/login');
	await shot(page, 'login');
	await page.fill('input[name=user]', user);
	await page.fill('input[name=password]', password);
	await page.check(`input[name=trust][value=${trust}]`);
	await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
	out.after_login = new URL(page.url()).pathname;
	const cookies = await ctx.cookies();
	const c = cookies.find((k) => k.name === 'owa') || {};
	out.cookie = { httpOnly: c.httpOnly, sameSite: c.sameSite, session: c.expires === -1 };
	out.inbox_subjects = await page.$$eval('td.subject a', (as) => as.map((a) => a.textContent));
	await shot(page, 'inbox');

	if (only !== 'attachments') await reading(page);
	await attachments(page);
	if (only !== 'attachments') await compose(page);
	out.dialogs = dialogs;
	fs.writeFileSync(outFile, JSON.stringify(out, null, 1));
	await ctx.close();
}

async function reading(page) {
	// Reading: the HTML message with a remote image.
	await Promise.all([page.waitForNavigation(), page.click('td.subject a:text("Remote picture")')]);
	await page.waitForTimeout(300);
	out.remote_before = lines(remoteLog);
	out.remote_note = await page.$eval('p.remote', (p) => p.textContent).catch(() => null);
	const frame = page.frames().find((f) => f.url().includes('/body?'));
	out.frame_text = frame ? (await frame.textContent('body')).trim() : null;
	out.frame_img_src = frame ? await frame.$eval('img', (i) => i.getAttribute('src')).catch(() => null) : null;
	await shot(page, 'read');
	await Promise.all([page.waitForNavigation(), page.click('#show-content')]);
	await page.waitForTimeout(500);
	out.remote_after = lines(remoteLog);

	// An inline (cid:) image: the sandboxed frame sends no cookie, the
	// signed /inline/ link is enough.
	await page.goto(url + '/mail');
	await Promise.all([page.waitForNavigation(), page.click('td.subject a:text("Inline picture")')]);
	await page.waitForTimeout(300);
	const iframe = page.frames().find((f) => f.url().includes('/body?'));
	out.inline_img = iframe ? await iframe.$eval('img', (i) => ({
		src: i.getAttribute('src'), width: i.naturalWidth, complete: i.complete,
	})).catch((e) => ({ error: e.message })) : null;

}

async function attachments(page) {
	// Attachments as this session's policy shows them.
	await page.goto(url + '/mail');
	await Promise.all([page.waitForNavigation(), page.click('td.subject a:text("Documents")')]);
	out.attachments = await page.$$eval('ul.attachments li', (lis) => lis.map((li) => li.textContent.trim()));
	out.attachment_links = await page.$$eval('ul.attachments li a', (as) => as.map((a) => a.getAttribute('href')));
	for (const name of ['report.docx', 'minutes.pdf']) {
		const a = await page.$(`ul.attachments a:text("${name}")`);
		if (!a) continue;
		const href = await a.getAttribute('href');
		if (href.startsWith('/webready')) {
			await page.goto(url + href);
			out['webready_' + name] = (await page.textContent('.doc').catch(() => '')).trim();
			await shot(page, 'webready-' + name.replace('.', '-'));
			await page.goBack();
		} else {
			const r = await page.request.get(url + href);
			out['part_' + name] = {
				status: r.status(),
				type: r.headers()['content-type'],
				disposition: r.headers()['content-disposition'],
				nosniff: r.headers()['x-content-type-options'],
				bytes: (await r.body()).length,
			};
		}
	}

}

async function compose(page) {
	// Compose and send with an attachment.
	await page.goto(url + '/compose');
	await page.fill('#to', 'dave@example.test');
	await page.fill('#subject', 'Sent from the browser ' + trust);
	await page.fill('#body', 'Hello Dave,\nthis came through owa-cas.\n');
	await page.setInputFiles('input[name=att]', upload);
	await shot(page, 'compose');
	await Promise.all([page.waitForNavigation(), page.click('#send')]);
	out.after_send = new URL(page.url()).pathname + new URL(page.url()).search;
	out.sent_subjects = await page.$$eval('td.subject a', (as) => as.map((a) => a.textContent));
}

main().catch((e) => { console.error(e); fs.writeFileSync(outFile, JSON.stringify(out, null, 1)); process.exit(1); });
