/* The HTML sanitiser: exact output for the allow-list, CSS, URLs, remote
 * resources, rewriting and the fixed point; and plain-text linkifying. */
#include <stdlib.h>
#include <string.h>

#include "html/css.h"
#include "html/sanitize.h"
#include "html/text.h"
#include "html/url.h"
#include "tap.h"

static char *san(const char *in, const struct html_policy *pol, struct html_stats *st)
{
	static struct strbuf out;
	struct html_policy none = { 0 };

	strbuf_reset(&out);
	if (html_sanitize(in, strlen(in), pol ? pol : &none, &out, st) < 0)
		return NULL;
	return out.buf ? out.buf : "";
}

static const struct { const char *in, *want; } cases[] = {
	{ "<p>hi <b onclick=x>there</b></p>", "<p>hi <b>there</b></p>" },
	{ "<script>alert(1)</script>ok", "ok" },
	{ "<svg><script>alert(1)</script></svg>x", "x" },
	{ "<math><mi>x</mi></math>y", "y" },
	{ "<iframe src=//x></iframe><object data=x></object><embed src=x>z", "z" },
	{ "<form action=/x><input name=a>text</form>", "text" },
	{ "<a href=\"javascript:alert(1)\">j</a>", "<a>j</a>" },
	{ "<a href=\" JaVaScRiPt:alert(1)\">j</a>", "<a>j</a>" },
	{ "<a href=\"java&#x09;script:alert(1)\">j</a>", "<a>j</a>" },
	{ "<a href=\"data:text/html,x\">d</a>", "<a>d</a>" },
	{ "<a href=\"//evil.example/\">r</a>", "<a>r</a>" },
	{ "<a href=\"https://ok.example/a?b=1&c=2\">ok</a>",
	  "<a href=\"https://ok.example/a?b=1&amp;c=2\">ok</a>" },
	{ "<a href=\"mailto:a@example.org\">m</a>", "<a href=\"mailto:a@example.org\">m</a>" },
	{ "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=a>",
	  "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"a\">" },
	{ "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", "<img>" },
	{ "<img src=\"http://remote.example/t.gif\" width=1>", "<img width=\"1\">" },
	{ "<div style=\"color:RED;background:url(x);width:expression(alert(1))\">c</div>",
	  "<div style=\"color: red\">c</div>" },
	{ "<div style=\"color:\\72 ed\">e</div>", "<div>e</div>" },
	{ "<div style=\"position:fixed;top:0\">p</div>", "<div>p</div>" },
	{ "<div style=\"color:var(--x)\">v</div>", "<div>v</div>" },
	{ "<div style=\"display:none\">n</div>", "<div style=\"display: none\">n</div>" },
	{ "<span style=\"font-family:'Arial', sans-serif\">f</span>",
	  "<span style=\"font-family: &#39;Arial&#39;, sans-serif\">f</span>" },
	{ "<p title=\"&quot;&gt;&lt;script&gt;\">t</p>",
	  "<p title=\"&quot;&gt;&lt;script&gt;\">t</p>" },
	{ "<!-- c --><p>x", "<p>x</p>" },
	{ "<style>p{color:red}</style><p>s</p>", "<style>p{color: red}</style><p>s</p>" },
	{ "<style>p{background:url(x)}</style><p>s</p>", "<p>s</p>" },
	{ "<style>p{color:red}</style\\><p>s</p>", "" },
	{ "<p class=\"a b\" id=\"top\" onclick=\"x\">c</p>", "<p class=\"a b\" id=\"top\">c</p>" },
	{ "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "" },
	{ "<table><tr><td>a<form><td>b</table>",
	  "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>" },
	{ "<pre>\n\nx</pre>", "<pre>\n\nx</pre>" },
	{ "<custom-el>k</custom-el>", "k" },
	{ "<p>a &amp; b &lt; c</p>", "<p>a &amp; b &lt; c</p>" },
	{ "<td background=\"http://x.example/bg.png\">b", "b" },
	{ "<b>unclosed <i>tags", "<b>unclosed <i>tags</i></b>" },
};

static int wrap(const char *u, size_t len, struct strbuf *out, void *ctx)
{
	strbuf_addstr(out, (const char *)ctx);
	url_encode(out, u, len);
	return 0;
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(san(cases[i].in, NULL, NULL), cases[i].want, "case %zu", i);
}

static void test_policy(void)
{
	struct html_policy pol = { .link = wrap, .cid = wrap, .ctx = "/r?u=" };
	struct html_stats st;
	const char *in = "<a href=\"https://x.example/?q=1\">l</a>"
			 "<img src=\"https://x.example/i.png\"><img src=\"cid:p1@x\">";

	is_str(san(in, &pol, &st),
	       "<a href=\"/r?u=https%3A%2F%2Fx.example%2F%3Fq%3D1\">l</a><img>"
	       "<img src=\"/r?u=cid%3Ap1%40x\">", "links and cid rewritten, remote left out");
	is_int(st.blocked, 1, "one remote resource blocked");
	pol.allow_remote = 1;
	is_str(san(in, &pol, &st),
	       "<a href=\"/r?u=https%3A%2F%2Fx.example%2F%3Fq%3D1\">l</a>"
	       "<img src=\"https://x.example/i.png\"><img src=\"/r?u=cid%3Ap1%40x\">",
	       "remote kept when allowed");
	is_int(st.blocked, 0, "none blocked");
	san("<script>x</script><form><b>y</b></form>", NULL, &st);
	is_int(st.dropped, 2, "drops counted");
}

static void test_limits(void)
{
	struct html_policy pol = { .input_max = 10 };
	struct strbuf deep = STRBUF_INIT;
	struct html_stats st;
	const char *r;

	ok(san("0123456789ab", &pol, NULL) == NULL, "input over input_max refused");
	for (int i = 0; i < 300; i++)
		strbuf_addstr(&deep, "<div>");
	strbuf_addstr(&deep, "deep");
	r = san(deep.buf, NULL, &st);
	ok(r && strstr(r, "deep") && strlen(r) < 128 * 11 + 10, "deep nesting cut to text");
	strbuf_reset(&deep);
	for (int i = 0; i < 50000; i++)
		strbuf_addstr(&deep, "<b>");
	ok(san(deep.buf, NULL, NULL) == NULL, "too many tags refused");
	strbuf_release(&deep);
}

static void test_fixed_point(void)
{
	const char *ins[] = {
		"<p><div>a</div></p>", "<a><a>x</a></a>", "<table>t<tr>u</table>",
		"<p><form><p>x</form>", "<ul><li><p>a<li>b", " \n lead",
		"<select><option>x</select>y", "<nobr><nobr>z",
	};

	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		char *once = strdup(san(ins[i], NULL, NULL));

		is_str(san(once, NULL, NULL), once, "fixed point %zu", i);
		free(once);
	}
}

static void test_css(void)
{
	struct strbuf o = STRBUF_INIT;

	is_int(css_style_sanitize("color: red; margin: 0 auto !important", 37, &o), 2, "two kept");
	is_str(o.buf, "color: red; margin: 0 auto !important", "normalised");
	strbuf_reset(&o);
	is_int(css_style_sanitize("width: calc(100% - (2px))", 25, &o), 1, "calc kept");
	strbuf_reset(&o);
	is_int(css_style_sanitize("color: rgb(1,2,3)/**/", 21, &o), 0, "comment dropped");
	is_int(css_style_sanitize("background-color: image-set(x)", 30, &o), 0, "unknown function");
	is_int(css_style_sanitize("color: \"a;b\"; top: 0", 20, &o), 0, "quoted ; not a split");
	is_int(css_style_sanitize("behavior: url(x.htc)", 20, &o), 0, "behavior");
	strbuf_release(&o);
}

static void test_sheet(void)
{
	struct strbuf o = STRBUF_INIT;
	const char *in = "/* c */ p.x, td > a:hover { color: RED; background: url(x) } "
			 "@import url(e.css); @media (max-width: 600px) { .a{width:100%} .b{behavior:url(x)} } "
			 "@font-face{src:url(f)} div{position:fixed} a[href^=\"http\"]{color:blue}";

	is_int(css_sheet_sanitize(in, strlen(in), &o), 3, "three rules kept");
	is_str(o.buf, "p.x, td > a:hover{color: red}@media (max-width: 600px){.a{width: 100%}}"
	       "a[href^=\"http\"]{color: blue}", "sheet reduced");
	strbuf_reset(&o);
	is_int(css_sheet_sanitize("p{color:red}\\", 13, &o), 0, "backslash drops the sheet");
	is_int(css_sheet_sanitize("p{color:red}</style>", 20, &o), 0, "< drops the sheet");
	is_int(css_sheet_sanitize("p{x{color:red}}q{color:red}", 27, &o), 1, "nested block skipped");
	is_str(o.buf, "q{color: red}", "the next rule kept");
	strbuf_reset(&o);
	is_int(css_sheet_sanitize("@media screen{@media print{p{color:red}}}", 41, &o), 0,
	       "nested @media dropped");
	is_int(css_sheet_sanitize("p{color:red", 11, &o), 0, "unclosed rule");
	strbuf_release(&o);
}

static void test_url(void)
{
	size_t b, l;

	is_int(url_classify(" https://a.example/ ", 20, &b, &l), URL_HTTP, "https");
	is_int(b, 1, "trimmed start");
	is_int(l, 18, "trimmed length");
	is_int(url_classify("http:///x", 9, &b, &l), URL_BAD, "no host");
	is_int(url_classify("https://a\\b", 11, &b, &l), URL_BAD, "backslash");
	is_int(url_classify("vbscript:x", 10, &b, &l), URL_BAD, "vbscript");
	is_int(url_classify("cid:x", 5, &b, &l), URL_CID, "cid");
	is_int(url_classify("data:image/gif;base64,R0l", 25, &b, &l), URL_DATA_IMAGE, "gif");
	is_int(url_classify("data:image/gif;base64,R0l<", 26, &b, &l), URL_BAD, "bad base64");
}

static void test_linkify(void)
{
	struct strbuf o = STRBUF_INIT;
	const char *t = "see https://a.example/x?y=1&z=2. and www.b.example, <c> javascript:x";

	html_text_linkify(t, strlen(t), wrap, "/r?u=", &o);
	is_str(o.buf, "see <a href=\"/r?u=https%3A%2F%2Fa.example%2Fx%3Fy%3D1%26z%3D2\">"
	       "https://a.example/x?y=1&amp;z=2</a>. and <a href=\"/r?u=http%3A%2F%2Fwww.b.example\">"
	       "www.b.example</a>, &lt;c&gt; javascript:x", "linkified and escaped");
	strbuf_release(&o);
}

int main(void)
{
	test_cases();
	test_policy();
	test_limits();
	test_fixed_point();
	test_css();
	test_sheet();
	test_url();
	test_linkify();
	return tap_done();
}
