/* WebReady conversions (see webready.h). The HTML built here from the
 * documents' XML goes through the same sanitiser as mail before it is
 * shown. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/msg.h"
#include "owa-cas.h"
#include "webready.h"

#define ENTRY_MAX (32u << 20)	/* one XML file of a container */
#define ENTRIES_MAX 2000
#define OUT_MAX (8u << 20)

enum kind { K_NONE, K_DOCX, K_XLSX, K_PPTX, K_ODF, K_PDF, K_TEXT };

static enum kind kind_of(const char *name, const char *type)
{
	static const struct { const char *ext, *type; enum kind k; } map[] = {
		{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", K_DOCX },
		{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", K_XLSX },
		{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", K_PPTX },
		{ "odt", "application/vnd.oasis.opendocument.text", K_ODF },
		{ "ods", "application/vnd.oasis.opendocument.spreadsheet", K_ODF },
		{ "odp", "application/vnd.oasis.opendocument.presentation", K_ODF },
		{ "pdf", "application/pdf", K_PDF },
		{ "txt", "text/plain", K_TEXT },
	};
	const char *dot = name ? strrchr(name, '.') : NULL;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (type && strcasecmp(type, map[i].type) == 0)
			return map[i].k;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (dot && strcasecmp(dot + 1, map[i].ext) == 0)
			return map[i].k;
	return K_NONE;
}

/* The container's entries we want, by name, read into memory. */
struct entry {
	char *name;
	struct strbuf data;
};

static int want(enum kind k, const char *n)
{
	switch (k) {
	case K_DOCX: return strcmp(n, "word/document.xml") == 0;
	case K_XLSX: return strcmp(n, "xl/sharedStrings.xml") == 0 ||
			    (strncmp(n, "xl/worksheets/sheet", 19) == 0 && !strchr(n + 19, '/'));
	case K_PPTX: return strncmp(n, "ppt/slides/slide", 16) == 0 && !strchr(n + 16, '/');
	case K_ODF: return strcmp(n, "content.xml") == 0;
	default: return 0;
	}
}

static int unzip(const char *data, size_t len, enum kind k, struct entry **out, size_t *n,
		 const char **why)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 0, seen = 0;
	int rc = 0;

	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		*why = "not a zip container";
		archive_read_free(a);
		return -1;
	}
	*out = NULL;
	*n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		struct entry *en;
		char buf[65536];
		la_ssize_t got;

		if (++seen > ENTRIES_MAX) {
			*why = "too many entries";
			rc = -1;
			break;
		}
		if (name == NULL || !want(k, name))
			continue;
		xgrow((void **)out, &cap, *n + 1, sizeof(**out));
		en = &(*out)[(*n)++];
		en->name = xstrdup(name);
		strbuf_init(&en->data, 0);
		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0) {
			if (en->data.len + (size_t)got > ENTRY_MAX) {
				*why = "a part of the document is too large";
				rc = -1;
				break;
			}
			strbuf_add(&en->data, buf, (size_t)got);
		}
		if (got < 0 && rc == 0) {
			*why = "the container is damaged";
			rc = -1;
		}
		if (rc < 0)
			break;
	}
	archive_read_free(a);
	return rc;
}

static void entries_free(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		strbuf_release(&v[i].data);
	}
	free(v);
}

static xmlDocPtr xml_parse(const struct strbuf *d)
{
	/* No network, no DTD loading, no entity substitution. */
	return xmlReadMemory(d->buf ? d->buf : "", (int)d->len, "doc.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void text_put(struct strbuf *out, const xmlChar *s)
{
	if (s && out->len < OUT_MAX)
		html_escape_text(out, (const char *)s, strlen((const char *)s));
}

static const char *attr(const xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next)
		if (strcmp((const char *)a->name, name) == 0 && a->children)
			return (const char *)a->children->content;
	return NULL;
}

/* Word: paragraphs (headings by style), runs (bold, italic), tables. */
static void docx_walk(const xmlNode *n, struct strbuf *out, unsigned depth);

static void docx_para(const xmlNode *p, struct strbuf *out, unsigned depth)
{
	const char *tag = "p";

	for (const xmlNode *c = p->children; c; c = c->next)
		if (is(c, "pPr"))
			for (const xmlNode *d = c->children; d; d = d->next)
				if (is(d, "pStyle")) {
					const char *v = attr(d, "val");

					if (v && strncasecmp(v, "Heading", 7) == 0 && v[7] >= '1' && v[7] <= '6')
						tag = v[7] == '1' ? "h2" : v[7] == '2' ? "h3" : "h4";
					else if (v && strcasecmp(v, "Title") == 0)
						tag = "h1";
				}
	strbuf_addf(out, "<%s>", tag);
	docx_walk(p, out, depth + 1);
	strbuf_addf(out, "</%s>", tag);
}

static void docx_walk(const xmlNode *n, struct strbuf *out, unsigned depth)
{
	if (depth > 64)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (is(c, "p")) {
			docx_para(c, out, depth);
		} else if (is(c, "tbl")) {
			strbuf_addstr(out, "<table>");
			docx_walk(c, out, depth + 1);
			strbuf_addstr(out, "</table>");
		} else if (is(c, "tr")) {
			strbuf_addstr(out, "<tr>");
			docx_walk(c, out, depth + 1);
			strbuf_addstr(out, "</tr>");
		} else if (is(c, "tc")) {
			strbuf_addstr(out, "<td>");
			docx_walk(c, out, depth + 1);
			strbuf_addstr(out, "</td>");
		} else if (is(c, "r")) {
			int b = 0, it = 0;

			for (const xmlNode *d = c->children; d; d = d->next)
				if (is(d, "rPr"))
					for (const xmlNode *e = d->children; e; e = e->next)
						b |= is(e, "b"), it |= is(e, "i");
			strbuf_addstr(out, b ? "<b>" : "");
			strbuf_addstr(out, it ? "<i>" : "");
			docx_walk(c, out, depth + 1);
			strbuf_addstr(out, it ? "</i>" : "");
			strbuf_addstr(out, b ? "</b>" : "");
		} else if (is(c, "t")) {
			xmlChar *t = xmlNodeGetContent(c);

			text_put(out, t);
			xmlFree(t);
		} else if (is(c, "br")) {
			strbuf_addstr(out, "<br>");
		} else if (is(c, "tab")) {
			strbuf_addstr(out, " ");
		} else if (c->type == XML_ELEMENT_NODE && !is(c, "pPr") && !is(c, "rPr")) {
			docx_walk(c, out, depth + 1);
		}
	}
}

/* Text of all descendants named tname (a:t, t), paragraphs by pname. */
static void texts(const xmlNode *n, const char *pname, const char *tname, struct strbuf *out,
		  unsigned depth)
{
	if (depth > 64)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (is(c, tname)) {
			xmlChar *t = xmlNodeGetContent(c);

			text_put(out, t);
			xmlFree(t);
		} else if (pname && is(c, pname)) {
			strbuf_addstr(out, "<p>");
			texts(c, pname, tname, out, depth + 1);
			strbuf_addstr(out, "</p>");
		} else if (c->type == XML_ELEMENT_NODE) {
			texts(c, pname, tname, out, depth + 1);
		}
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	/* slide2 before slide10 */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->name, y->name);
}

static void xlsx_sheet(const xmlNode *root, char **shared, size_t nshared, struct strbuf *out)
{
	const xmlNode *data = NULL;

	for (const xmlNode *c = root->children; c; c = c->next)
		if (is(c, "sheetData"))
			data = c;
	strbuf_addstr(out, "<table>");
	for (const xmlNode *row = data ? data->children : NULL; row; row = row->next) {
		if (!is(row, "row"))
			continue;
		strbuf_addstr(out, "<tr>");
		for (const xmlNode *c = row->children; c; c = c->next) {
			const char *t = attr(c, "t");

			if (!is(c, "c"))
				continue;
			strbuf_addstr(out, "<td>");
			for (const xmlNode *v = c->children; v; v = v->next) {
				xmlChar *s;

				if (!is(v, "v") && !is(v, "is"))
					continue;
				s = xmlNodeGetContent(v);
				if (t && strcmp(t, "s") == 0 && is(v, "v")) {
					long k = atol((const char *)s);

					if (k >= 0 && (size_t)k < nshared)
						text_put(out, (const xmlChar *)shared[k]);
				} else {
					text_put(out, s);
				}
				xmlFree(s);
			}
			strbuf_addstr(out, "</td>");
		}
		strbuf_addstr(out, "</tr>");
	}
	strbuf_addstr(out, "</table>");
}

static void odf_walk(const xmlNode *n, struct strbuf *out, unsigned depth)
{
	if (depth > 64)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		const char *tag = NULL;

		if (c->type == XML_TEXT_NODE) {
			text_put(out, c->content);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "h"))
			tag = "h2";
		else if (is(c, "p"))
			tag = "p";
		else if (is(c, "table"))
			tag = "table";
		else if (is(c, "table-row"))
			tag = "tr";
		else if (is(c, "table-cell"))
			tag = "td";
		else if (is(c, "list"))
			tag = "ul";
		else if (is(c, "list-item"))
			tag = "li";
		else if (is(c, "page"))
			tag = "section";
		if (is(c, "line-break")) {
			strbuf_addstr(out, "<br>");
		} else if (is(c, "s") || is(c, "tab")) {
			strbuf_addstr(out, " ");
		} else if (tag) {
			strbuf_addf(out, "<%s>", tag);
			odf_walk(c, out, depth + 1);
			strbuf_addf(out, "</%s>", tag);
		} else if (!is(c, "annotation")) {
			odf_walk(c, out, depth + 1);
		}
	}
}

static int office(const char *data, size_t len, enum kind k, struct strbuf *html, const char **why)
{
	struct entry *v = NULL;
	size_t n = 0;
	char **shared = NULL;
	size_t nshared = 0, cap = 0;
	int rc = -1;

	if (unzip(data, len, k, &v, &n, why) < 0)
		goto out;
	if (n == 0) {
		*why = "the document has no content part";
		goto out;
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	if (k == K_XLSX)
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].name, "xl/sharedStrings.xml") == 0) {
				xmlDocPtr d = xml_parse(&v[i].data);
				xmlNode *root = d ? xmlDocGetRootElement(d) : NULL;

				for (xmlNode *si = root ? root->children : NULL; si; si = si->next) {
					xmlChar *t;

					if (!is(si, "si"))
						continue;
					t = xmlNodeGetContent(si);
					xgrow((void **)&shared, &cap, nshared + 1, sizeof(*shared));
					shared[nshared++] = xstrdup(t ? (const char *)t : "");
					xmlFree(t);
				}
				xmlFreeDoc(d);
			}
	for (size_t i = 0, slide = 0, sheet = 0; i < n; i++) {
		xmlDocPtr d;
		xmlNode *root;

		if (k == K_XLSX && strcmp(v[i].name, "xl/sharedStrings.xml") == 0)
			continue;
		if ((d = xml_parse(&v[i].data)) == NULL) {
			*why = "the document's XML is not well-formed";
			goto out;
		}
		root = xmlDocGetRootElement(d);
		if (k == K_DOCX) {
			docx_walk(root, html, 0);
		} else if (k == K_PPTX) {
			strbuf_addf(html, "<section class=\"slide\"><h2>Slide %zu</h2>", ++slide);
			texts(root, "p", "t", html, 0);
			strbuf_addstr(html, "</section>");
		} else if (k == K_XLSX) {
			strbuf_addf(html, "<h2>Sheet %zu</h2>", ++sheet);
			xlsx_sheet(root, shared, nshared, html);
		} else {
			odf_walk(root, html, 0);
		}
		xmlFreeDoc(d);
	}
	rc = 0;
out:
	for (size_t i = 0; i < nshared; i++)
		free(shared[i]);
	free(shared);
	entries_free(v, n);
	return rc;
}

/* PDF: pdftotext in a child process with limits, reading a private
 * temporary copy; killed at the wall-clock deadline too. */
static int pdf(const char *data, size_t len, struct strbuf *text, const char **why)
{
	char dir[] = "/tmp/owa-webready.XXXXXX", path[64];
	int fd, pfd[2], status = 0;
	pid_t pid;
	long long deadline_ms = owa.webready_cpu_ms > 0 ? owa.webready_cpu_ms * 2 : 40000;
	struct timespec t0, t;
	int rc = -1;

	if (mkdtemp(dir) == NULL) {
		*why = "no temporary directory";
		return -1;
	}
	snprintf(path, sizeof(path), "%s/in.pdf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0 || pipe(pfd) < 0) {
		*why = "cannot stage the document";
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		long long cpu = owa.webready_cpu_ms > 0 ? (owa.webready_cpu_ms + 999) / 1000 : 20;
		struct rlimit rl;

		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 2);
		}
		for (int i = 3; i < 1024; i++)
			close(i);
		rl.rlim_cur = rl.rlim_max = (rlim_t)cpu;
		setrlimit(RLIMIT_CPU, &rl);
		rl.rlim_cur = rl.rlim_max = (rlim_t)(owa.webready_mem > 0 ? owa.webready_mem : 256 << 20);
		setrlimit(RLIMIT_AS, &rl);
		rl.rlim_cur = rl.rlim_max = 0;
		setrlimit(RLIMIT_FSIZE, &rl);
		setrlimit(RLIMIT_CORE, &rl);
		rl.rlim_cur = rl.rlim_max = 16;
		setrlimit(RLIMIT_NOFILE, &rl);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		execlp("pdftotext", "pdftotext", "-q", "-enc", "UTF-8", "-layout", path, "-", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		*why = "cannot start the converter";
		goto out;
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char buf[65536];
		ssize_t n = read(pfd[0], buf, sizeof(buf));

		if (n > 0) {
			if (text->len + (size_t)n <= OUT_MAX)
				strbuf_add(text, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > deadline_ms) {
			kill(pid, SIGKILL);
			break;
		}
		usleep(5000);
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else
		*why = WIFSIGNALED(status) ? "the converter ran out of time or memory" :
		       WEXITSTATUS(status) == 127 ? "pdftotext is not installed" :
		       "the PDF cannot be read";
out:
	unlink(path);
	rmdir(dir);
	return rc;
}

int webready_supported(const char *filename, const char *type)
{
	return kind_of(filename, type) != K_NONE;
}

int webready_convert(const char *data, size_t len, const char *filename, const char *type,
		     struct strbuf *out, const char **why)
{
	enum kind k = kind_of(filename, type);
	struct strbuf html = STRBUF_INIT, text = STRBUF_INIT;
	struct html_policy pol = { .input_max = OUT_MAX * 2 };
	int rc = -1;

	if (len > owa.webready_max && owa.webready_max) {
		*why = "the document is too large";
		return -1;
	}
	switch (k) {
	case K_NONE:
		*why = "this kind of document has no web view";
		return -1;
	case K_PDF:
	case K_TEXT:
		if (k == K_PDF ? pdf(data, len, &text, why) < 0 : (strbuf_add(&text, data, len), 0))
			goto out;
		strbuf_addstr(&html, "<pre>\n");
		html_escape_text(&html, text.buf ? text.buf : "", text.len);
		strbuf_addstr(&html, "</pre>");
		break;
	default:
		if (office(data, len, k, &html, why) < 0)
			goto out;
	}
	if (html_sanitize(html.buf ? html.buf : "", html.len, &pol, out, NULL) < 0) {
		*why = "the document is too complex to show";
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&html);
	strbuf_release(&text);
	return rc;
}
