/* Test tool: prints the MIME tree of a message (file or stdin) as the
 * parser sees it, one part a line, or its text, URLs or a decoded part.
 *   mimedump [-o] [-t] [-u] [-s] [-d N] [-c SIZE] [FILE]
 * -o offsets, -t text (mime_text), -u URLs, -s subject, -d N part N
 * decoded, -c SIZE feed in chunks of SIZE bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/mime.h"
#include "util/strbuf.h"

static void dump(const struct mime_msg *m, int offsets)
{
	unsigned n = mime_part_count(m);
	static const char *const ctes[] = { "7bit", "8bit", "binary", "qp", "base64", "unknown" };
	static const char *const disps[] = { "-", "inline", "attachment", "other" };

	for (unsigned i = 0; i < n; i++) {
		const struct mime_part *p = mime_part_at(m, i);
		struct strbuf d = STRBUF_INIT;

		mime_defects_format(p->defects, &d);
		printf("%*s%u %s/%s cte=%s disp=%s%s", (int)p->depth * 2, "", i, p->type,
		       p->subtype, ctes[p->cte], disps[p->disp], p->is_attachment ? " attachment" : "");
		if (p->charset)
			printf(" charset=%s", p->charset);
		if (p->filename)
			printf(" filename=\"%s\"", p->filename);
		printf(" headers=%u children=%u", p->nheaders, p->nchildren);
		if (offsets)
			printf(" hdr=%zu+%zu body=%zu+%zu", p->hdr_off, p->hdr_len, p->body_off,
			       p->body_len);
		if (d.len)
			printf(" defects=%s", d.buf);
		printf("\n");
		strbuf_release(&d);
	}
}

static int url(const char *u, size_t len, void *ctx)
{
	printf("%s\n", u);
	return 0;
}

int main(int argc, char **argv)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	int c, offsets = 0, text = 0, urls = 0, subject = 0, part = -1;
	size_t chunk = 0;
	struct mime_msg *m;

	while ((c = getopt(argc, argv, "otusd:c:")) != -1) {
		switch (c) {
		case 'o': offsets = 1; break;
		case 't': text = 1; break;
		case 'u': urls = 1; break;
		case 's': subject = 1; break;
		case 'd': part = atoi(optarg); break;
		case 'c': chunk = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: mimedump [-otus] [-d N] [-c SIZE] [FILE]\n");
			return 64;
		}
	}
	if (optind < argc ? strbuf_read_file(&in, argv[optind], 1 << 30) :
	    strbuf_read_fd(&in, 0, 1 << 30)) {
		perror("mimedump");
		return 66;
	}
	if (chunk) {
		m = mime_new(NULL);
		for (size_t i = 0; i < in.len; i += chunk)
			mime_feed(m, in.buf + i, in.len - i < chunk ? in.len - i : chunk);
		mime_finish(m);
	} else {
		m = mime_parse(in.buf, in.len, NULL);
	}
	if (subject)
		mime_subject(m, &out);
	else if (text)
		mime_text(m, 0, 0, &out);
	else if (part >= 0 && mime_part_at(m, (unsigned)part))
		mime_part_decode(m, mime_part_at(m, (unsigned)part), &out);
	else if (urls)
		mime_urls(m, url, NULL);
	else
		dump(m, offsets);
	fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
	if (subject)
		printf("\n");
	mime_free(m);
	strbuf_release(&in);
	strbuf_release(&out);
	return 0;
}
