/* The MIME side of S/MIME: header split, canonical CRLF, the inner entity
 * and outer fields, and the halves of a multipart/signed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mail/mime.h"
#include "smime/entity.h"
#include "util/mem.h"

/* The end of the line starting at p (just past its LF, or end). */
static size_t line_end(const char *d, size_t len, size_t p)
{
	const char *nl = memchr(d + p, '\n', len - p);

	return nl ? (size_t)(nl - d) + 1 : len;
}

static bool blank_line(const char *d, size_t p, size_t e)
{
	return (e - p == 1 && d[p] == '\n') || (e - p == 2 && d[p] == '\r' && d[p + 1] == '\n') ||
	       (e - p == 0);
}

int smime_msg_parse(const char *data, size_t len, struct smime_msg *m, char *why, size_t whylen)
{
	size_t p = 0, cap = 0;

	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->body_off = len;
	{
		size_t e = line_end(data, len, 0);

		m->crlf = e >= 2 && data[e - 1] == '\n' && data[e - 2] == '\r';
	}
	while (p < len) {
		size_t e = line_end(data, len, p), colon;
		struct smime_field *f;

		if (blank_line(data, p, e)) {
			m->body_off = e;
			return 0;
		}
		if (p >= SMIME_HEADER_BYTES_MAX) {
			snprintf(why, whylen, "header block larger than %d bytes", SMIME_HEADER_BYTES_MAX);
			goto fail;
		}
		if ((data[p] == ' ' || data[p] == '\t') && m->nf > 0) {
			m->f[m->nf - 1].len = e - m->f[m->nf - 1].off;
			p = e;
			continue;
		}
		if (m->nf == SMIME_HEADERS_MAX) {
			snprintf(why, whylen, "more than %d header fields", SMIME_HEADERS_MAX);
			goto fail;
		}
		if (m->nf == cap)
			xgrow((void **)&m->f, &cap, m->nf + 1, sizeof(*m->f));
		f = &m->f[m->nf++];
		f->off = p;
		f->len = e - p;
		for (colon = p; colon < e && data[colon] != ':'; colon++)
			;
		/* A line without a colon is kept as a nameless field. */
		f->name_len = colon < e ? colon - p : 0;
		while (f->name_len && (data[p + f->name_len - 1] == ' ' || data[p + f->name_len - 1] == '\t'))
			f->name_len--;
		p = e;
	}
	return 0;
fail:
	smime_msg_free(m);
	return -1;
}

void smime_msg_free(struct smime_msg *m)
{
	free(m->f);
	m->f = NULL;
	m->nf = 0;
}

bool smime_field_is(const struct smime_msg *m, size_t i, const char *name)
{
	size_t n = strlen(name);

	return m->f[i].name_len == n && strncasecmp(m->data + m->f[i].off, name, n) == 0;
}

bool smime_field_is_content(const struct smime_msg *m, size_t i)
{
	return m->f[i].name_len > 8 && strncasecmp(m->data + m->f[i].off, "Content-", 8) == 0;
}

int smime_field_value(const struct smime_msg *m, const char *name, struct strbuf *out)
{
	for (size_t i = 0; i < m->nf; i++) {
		const struct smime_field *f = &m->f[i];
		size_t p, e = f->off + f->len;

		if (!smime_field_is(m, i, name))
			continue;
		p = f->off + f->name_len;
		while (p < e && m->data[p] != ':')
			p++;
		for (p++; p < e; p++) {
			char c = m->data[p];

			if (c == '\r' || c == '\n')
				continue;
			if ((c == ' ' || c == '\t') && (out->len == 0 || out->buf[out->len - 1] == ' '))
				continue;
			strbuf_addch(out, c == '\t' ? ' ' : c);
		}
		strbuf_rtrim(out);
		return 0;
	}
	return -1;
}

void smime_to_crlf(const char *s, size_t len, struct strbuf *out)
{
	size_t start = 0;

	strbuf_grow(out, len + len / 32);
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n' || (i > 0 && s[i - 1] == '\r'))
			continue;
		strbuf_add(out, s + start, i - start);
		strbuf_add(out, "\r\n", 2);
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
}

void smime_to_lf(const char *s, size_t len, struct strbuf *out)
{
	size_t start = 0;

	strbuf_grow(out, len);
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\r' || s[i + 1] != '\n')
			continue;
		strbuf_add(out, s + start, i - start);
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
}

void smime_eol_convert(const char *s, size_t len, bool crlf, struct strbuf *out)
{
	if (crlf)
		smime_to_crlf(s, len, out);
	else
		smime_to_lf(s, len, out);
}

void smime_inner_entity(const struct smime_msg *m, struct strbuf *out)
{
	for (size_t i = 0; i < m->nf; i++)
		if (smime_field_is_content(m, i))
			smime_to_crlf(m->data + m->f[i].off, m->f[i].len, out);
	/* A last field without its line end still needs one. */
	if (out->len && out->buf[out->len - 1] != '\n')
		strbuf_add(out, "\r\n", 2);
	strbuf_add(out, "\r\n", 2);
	smime_to_crlf(m->data + m->body_off, m->len - m->body_off, out);
}

void smime_outer_fields(const struct smime_msg *m, bool skip_mime_version, struct strbuf *out)
{
	for (size_t i = 0; i < m->nf; i++) {
		if (smime_field_is_content(m, i))
			continue;
		if (skip_mime_version && smime_field_is(m, i, "MIME-Version"))
			continue;
		strbuf_add(out, m->data + m->f[i].off, m->f[i].len);
		if (m->data[m->f[i].off + m->f[i].len - 1] != '\n')
			strbuf_addstr(out, m->crlf ? "\r\n" : "\n");
	}
}

void smime_boundary(char *out, size_t outlen)
{
	unsigned char r[12];
	char hex[25];

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(out, outlen, "----=_postern_%s", hex);
}

void smime_base64_lines(const void *data, size_t len, const char *eol, struct strbuf *out)
{
	const unsigned char *p = data;
	size_t el = strlen(eol);

	/* 57 bytes make one line of 76; sized once, encoded in place. */
	strbuf_grow(out, (len + 56) / 57 * (76 + el) + 1);
	for (size_t off = 0; off < len; off += 57) {
		int n = len - off < 57 ? (int)(len - off) : 57;
		int w = EVP_EncodeBlock((unsigned char *)out->buf + out->len, p + off, n);

		strbuf_setlen(out, out->len + (size_t)w);
		strbuf_add(out, eol, el);
	}
}

static void copy_param(const struct mime_part *p, const char *name, char *out, size_t outlen)
{
	const char *v = mime_part_param(p, name);
	size_t i = 0;

	for (; v && v[i] && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[i] = 0;
}

int smime_signed_split(const char *data, size_t len, struct smime_signed_parts *sp,
		       char *why, size_t whylen)
{
	struct mime_msg *mm = mime_parse(data, len, NULL);
	const struct mime_part *root = mime_root(mm), *c1, *c2;
	int rc = -1;

	memset(sp, 0, sizeof(*sp));
	if (!mime_part_is(root, "multipart", "signed")) {
		snprintf(why, whylen, "not multipart/signed");
		rc = -2;
		goto out;
	}
	copy_param(root, "protocol", sp->protocol, sizeof(sp->protocol));
	copy_param(root, "micalg", sp->micalg, sizeof(sp->micalg));
	if (root->boundary == NULL) {
		snprintf(why, whylen, "multipart/signed without a boundary");
		goto out;
	}
	if (root->nchildren != 2) {
		snprintf(why, whylen, "multipart/signed has %u parts, not 2", root->nchildren);
		goto out;
	}
	c1 = root->child;
	c2 = c1->next;
	if (!mime_part_is(c2, "application", "pkcs7-signature") &&
	    !mime_part_is(c2, "application", "x-pkcs7-signature")) {
		snprintf(why, whylen, "second part is %s/%s, not application/pkcs7-signature",
			 c2->type, c2->subtype);
		goto out;
	}
	sp->content = data + c1->hdr_off;
	sp->content_len = c1->body_off + c1->body_len - c1->hdr_off;
	mime_part_decode(mm, c2, &sp->sig);
	if (sp->sig.len == 0) {
		snprintf(why, whylen, "empty signature part");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		strbuf_release(&sp->sig);
	mime_free(mm);
	return rc;
}

enum smime_kind smime_kind_of(const char *data, size_t len)
{
	struct mime_msg *mm = mime_parse(data, len, NULL);
	const struct mime_part *root = mime_root(mm);
	enum smime_kind k = SMIME_KIND_PLAIN;

	if (mime_part_is(root, "multipart", "signed")) {
		k = SMIME_KIND_SIGNED;
	} else if (mime_part_is(root, "application", "pkcs7-mime") ||
		   mime_part_is(root, "application", "x-pkcs7-mime")) {
		const char *t = mime_part_param(root, "smime-type");

		if (t && strcasecmp(t, "signed-data") == 0)
			k = SMIME_KIND_OPAQUE;
		else if (t && strcasecmp(t, "certs-only") == 0)
			k = SMIME_KIND_CERTS;
		else
			k = SMIME_KIND_ENVELOPED;
	}
	mime_free(mm);
	return k;
}

int smime_pkcs7_body(const char *data, size_t len, struct strbuf *der, char *why, size_t whylen)
{
	struct mime_msg *mm = mime_parse(data, len, NULL);
	const struct mime_part *root = mime_root(mm);
	int rc = 0;

	if (!mime_part_is(root, "application", "pkcs7-mime") &&
	    !mime_part_is(root, "application", "x-pkcs7-mime")) {
		snprintf(why, whylen, "not application/pkcs7-mime but %s/%s", root->type, root->subtype);
		rc = -1;
	} else {
		unsigned d = mime_part_decode(mm, root, der);

		if (der->len == 0 || (d & MIME_D_BAD_BASE64)) {
			snprintf(why, whylen, "%s", der->len ? "damaged base64" : "empty body");
			rc = -1;
		}
	}
	mime_free(mm);
	return rc;
}
