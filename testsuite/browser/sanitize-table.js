// The sanitiser in a real browser: every hostile input of hostile.json
// goes through "owa-cas sanitize --html --json", and the documents it prints are
// loaded in Chromium, each in its own frame of one page, with no
// Content-Security-Policy at all, so only the sanitiser stands between the
// input and the browser. A hook records script compiled in a page's own
// world (Debugger.scriptParsed: inline handlers, javascript: URLs, script
// elements), dialogs, and every request other than the documents. The
// raw inputs go through the same hook as a control: it must catch them,
// or it proves nothing.
// Usage: node sanitize-table.js OWA_CAS_BINARY HOSTILE_JSON RESULT_JSON
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const { launch } = require('./launch');

const [bin, table, result] = process.argv.slice(2);
const inputs = JSON.parse(fs.readFileSync(table, 'utf8'));
const ORIGIN = 'http://sanitize.test';

// Every input through one "owa-cas sanitize --html --json" run.
function sanitizeAll() {
	return new Promise((resolve, reject) => {
		const c = execFile(bin, ['sanitize', '--html', '--json'], { maxBuffer: 1 << 26 },
			(err, stdout) => err ? reject(err) : resolve(JSON.parse(stdout)));
		c.stdin.end(JSON.stringify(inputs));
	});
}

// Loads docs[i] at ORIGIN/KIND/i, all as frames of one page; returns the
// hits per index.
async function renderAll(ctx, kind, docs) {
	const page = await ctx.newPage();
	const cdp = await ctx.newCDPSession(page);
	const hits = docs.map(() => []);
	const byFrame = [];	// [frameId, hit] until frame URLs are known
	const index = (url) => {
		const m = new RegExp('^' + ORIGIN + '/' + kind + '/(\\d+)$').exec(url || '');
		return m ? +m[1] : -1;
	};
	const top = '<!DOCTYPE html><html><body>' + docs.map((_, i) =>
		`<iframe src="/${kind}/${i}" width="320" height="60"></iframe>`).join('') + '</body></html>';

	await cdp.send('Debugger.enable');
	cdp.on('Debugger.scriptParsed', (e) => {
		const aux = e.executionContextAuxData || {};
		if (aux.isDefault)
			byFrame.push([aux.frameId, 'script ' + (e.url || '(inline)')]);
	});
	// A dialog does not say its frame: it counts against the whole run.
	page.on('dialog', (d) => {
		byFrame.push([null, 'dialog ' + d.message()]);
		d.dismiss().catch(() => {});
	});
	await page.route('**/*', (route) => {
		const req = route.request(), url = req.url();
		if (url === ORIGIN + '/top')
			return route.fulfill({ status: 200, contentType: 'text/html', body: top });
		const i = index(url);
		if (i >= 0 && req.isNavigationRequest() && req.frame().parentFrame())
			return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: docs[i] });
		let f = -1;
		try { f = index(req.frame().url()); } catch (e) { /* detached */ }
		if (f >= 0)
			hits[f].push('request ' + url);
		else
			byFrame.push([null, 'request ' + url]);
		return route.abort();
	});
	await page.goto(ORIGIN + '/top', { waitUntil: 'load', timeout: 60000 });
	await page.mouse.move(10, 10);
	await page.mouse.move(600, 400, { steps: 8 });
	await page.waitForTimeout(300);
	const tree = (await cdp.send('Page.getFrameTree')).frameTree;
	const urls = {};
	(function walk(t) { urls[t.frame.id] = t.frame.url; (t.childFrames || []).forEach(walk); })(tree);
	const unplaced = [];
	for (const [fid, what] of byFrame) {
		const i = index(urls[fid]);
		if (i >= 0)
			hits[i].push(what);
		else
			unplaced.push(what);
	}
	await page.close();
	return { hits, unplaced };
}

async function main() {
	const docs = await sanitizeAll();
	const ctx = await launch({ javaScriptEnabled: true });
	const san = await renderAll(ctx, 'doc', docs);
	// The control needs no more than every third input to show the hook works.
	const sample = inputs.filter((_, i) => i % 3 === 0);
	const raw = await renderAll(ctx, 'raw', sample.map((s) =>
		'<!DOCTYPE html><html><body>' + s + '</body></html>'));
	const out = {
		inputs: inputs.length,
		sanitized_hits: [],
		sanitized_unplaced: san.unplaced,
		control_inputs: sample.length,
		control_caught: raw.hits.filter((h) => h.length).length,
		control_unplaced: raw.unplaced.length,
	};
	san.hits.forEach((h, i) => {
		if (h.length)
			out.sanitized_hits.push({ index: i, input: inputs[i], output: docs[i], hits: h });
	});
	fs.writeFileSync(result, JSON.stringify(out, null, 1));
	await ctx.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
