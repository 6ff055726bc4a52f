/* libFuzzer harness: the MIME parser on arbitrary bytes with small limits,
 * parsed both at once and fed in chunks (the two trees must agree), every
 * part decoded, the text and URLs extracted (mime_text_urls must give what
 * mime_text and mime_urls give), the address fields parsed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/mime.h"

static const struct mime_limits limits = {
	.depth_max = 8, .parts_max = 64, .header_bytes_max = 4096, .headers_max = 64,
	.decode_max = 1 << 20, .urls_max = 100,
};

static int url(const char *u, size_t len, void *ctx)
{
	struct strbuf host = STRBUF_INIT;

	if (strlen(u) != len && !memchr(u, 0, len))
		abort();
	(void)mime_url_host(u, len, &host);
	strbuf_release(&host);
	return 0;
}

/* url(), and the URL kept in ctx (a strbuf) for a comparison. */
static int collect(const char *u, size_t len, void *ctx)
{
	url(u, len, NULL);
	strbuf_add(ctx, u, len);
	strbuf_addch(ctx, '\n');
	return 0;
}

/* mime_text_urls against mime_text and then mime_urls: the same text,
 * defects, URLs and result. */
static void text_urls(const struct mime_msg *m, unsigned flags, size_t max)
{
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT, ua = STRBUF_INIT, ub = STRBUF_INIT;
	unsigned da, db;
	int ra, rb;

	ra = mime_urls(m, collect, &ua);
	da = mime_text(m, flags, max, &ta);
	db = mime_text_urls(m, flags, max, &tb, collect, &ub, &rb);
	if (ra != rb || da != db || ta.len != tb.len || ua.len != ub.len ||
	    (ta.len && memcmp(ta.buf, tb.buf, ta.len) != 0) ||
	    (ua.len && memcmp(ua.buf, ub.buf, ua.len) != 0))
		abort();
	strbuf_release(&ta);
	strbuf_release(&tb);
	strbuf_release(&ua);
	strbuf_release(&ub);
}

static void same(const struct mime_msg *a, const struct mime_msg *b)
{
	if (mime_part_count(a) != mime_part_count(b))
		abort();
	for (unsigned i = 0; i < mime_part_count(a); i++) {
		const struct mime_part *p = mime_part_at(a, i), *q = mime_part_at(b, i);

		if (p->hdr_off != q->hdr_off || p->body_off != q->body_off ||
		    p->body_len != q->body_len || p->defects != q->defects ||
		    p->nheaders != q->nheaders || strcmp(p->type, q->type) != 0)
			abort();
	}
}

static void walk(const struct mime_msg *m, size_t size)
{
	struct strbuf sb = STRBUF_INIT;

	for (unsigned i = 0; i < mime_part_count(m); i++) {
		const struct mime_part *p = mime_part_at(m, i);

		if (p->body_off + p->body_len > size || p->hdr_off + p->hdr_len > p->body_off)
			abort();
		mime_part_decode(m, p, &sb);
		strbuf_reset(&sb);
		mime_part_text(m, p, &sb);
		strbuf_reset(&sb);
		for (unsigned j = 0; j < p->nheaders; j++) {
			mime_header_decode(&p->headers[j], &sb);
			strbuf_reset(&sb);
		}
	}
	strbuf_release(&sb);
	text_urls(m, MIME_TEXT_ATTACHMENTS, 0);
	text_urls(m, MIME_TEXT_NO_SUBJECT, 1 + size % 97);
}

static void addresses(const struct mime_msg *m)
{
	static const char *const fields[] = { "From", "To", "Reply-To", "Sender" };

	for (size_t i = 0; i < 4; i++) {
		const struct mime_header *h = mime_header_find(mime_root(m), fields[i], 0);
		struct mail_addr *list;
		size_t n;

		if (!h)
			continue;
		n = address_parse_list(h->value, h->value_len, 0, &list);
		address_list_free(list, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_msg *whole = mime_parse((const char *)data, size, &limits);
	struct mime_msg *fed = mime_new(&limits);
	size_t step = size % 13 + 1;

	for (size_t i = 0; i < size; i += step)
		mime_feed(fed, data + i, size - i < step ? size - i : step);
	mime_finish(fed);
	same(whole, fed);
	walk(whole, size);
	addresses(whole);
	mime_free(whole);
	mime_free(fed);
	return 0;
}
