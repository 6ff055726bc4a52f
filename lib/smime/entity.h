/* The MIME side of S/MIME: a message split into its header fields and
 * body without copying, the canonical CRLF form of the part that gets
 * signed or encrypted, the headers that stay outside (From, To, Subject,
 * Date, Message-ID...) and the two halves of a multipart/signed. Outside
 * input: header count and size are capped, the split never reads past
 * the data. */
#ifndef POSTERN_SMIME_ENTITY_H
#define POSTERN_SMIME_ENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define SMIME_HEADERS_MAX 1000		/* header fields in one message */
#define SMIME_HEADER_BYTES_MAX (1024 * 1024)	/* bytes of the header block */
#define SMIME_MSG_MAX (256LL * 1024 * 1024)	/* bytes of a message read */

/* One header field: [off, off+len) holds the whole field with its line
 * ends; the name is [off, off+name_len). */
struct smime_field {
	size_t off, len, name_len;
};

/* A message as read. data is borrowed; fields are owned (smime_msg_free). */
struct smime_msg {
	const char *data;
	size_t len;
	struct smime_field *f;
	size_t nf;
	size_t body_off;	/* just after the blank line (len when none) */
	bool crlf;		/* the first line ends in CRLF: write CRLF back */
};

/* Splits data into header fields and body. Returns 0, or -1 with why
 * ("more than 1000 header fields", "header block larger than 1 MiB"). */
int smime_msg_parse(const char *data, size_t len, struct smime_msg *m,
		    char *why, size_t whylen);
void smime_msg_free(struct smime_msg *m);
/* 1 when field i is named name (case-insensitive). */
bool smime_field_is(const struct smime_msg *m, size_t i, const char *name);
/* 1 when field i belongs to the MIME entity (Content-*), and so moves
 * inside the signed or encrypted part. */
bool smime_field_is_content(const struct smime_msg *m, size_t i);
/* The unfolded value of the first field named name, appended to out;
 * 0, or -1 when there is none. */
int smime_field_value(const struct smime_msg *m, const char *name, struct strbuf *out);

/* Appends s with every bare LF made CRLF (and a lone CR left alone). */
void smime_to_crlf(const char *s, size_t len, struct strbuf *out);
/* Appends s with every CRLF made LF. */
void smime_to_lf(const char *s, size_t len, struct strbuf *out);
/* Appends s in the line-end convention crlf says. */
void smime_eol_convert(const char *s, size_t len, bool crlf, struct strbuf *out);

/* The inner entity: the Content-* fields, a blank line and the body, all
 * canonical CRLF. */
void smime_inner_entity(const struct smime_msg *m, struct strbuf *out);
/* The outer fields: everything but Content-* (and MIME-Version when
 * skip_mime_version), as written. */
void smime_outer_fields(const struct smime_msg *m, bool skip_mime_version,
			struct strbuf *out);
/* A fresh MIME boundary: "----=_postern_" and 24 random hex digits. */
void smime_boundary(char *out, size_t outlen);
/* Appends base64 of data in lines of 76 with eol after each. */
void smime_base64_lines(const void *data, size_t len, const char *eol, struct strbuf *out);

/* The halves of a multipart/signed: content is the first part's bytes
 * (headers and body, as written, to be made CRLF before checking);
 * signature is the second part's body decoded (base64 or as is). Returns
 * 0, -2 when the message is not multipart/signed at all, or -1 with why
 * ("no boundary", "multipart/signed has 1 part, not 2"). The message is
 * parsed once, with
 * lib/mail's MIME parser and its limits. */
struct smime_signed_parts {
	const char *content;		/* into data */
	size_t content_len;
	struct strbuf sig;		/* owned: strbuf_release */
	char protocol[128];		/* the protocol parameter, lowercased */
	char micalg[64];
};
int smime_signed_split(const char *data, size_t len, struct smime_signed_parts *sp,
		       char *why, size_t whylen);
/* What the top-level Content-Type says the message is. */
enum smime_kind {
	SMIME_KIND_PLAIN,	/* anything else */
	SMIME_KIND_SIGNED,	/* multipart/signed */
	SMIME_KIND_OPAQUE,	/* application/(x-)pkcs7-mime, signed-data */
	SMIME_KIND_ENVELOPED,	/* application/(x-)pkcs7-mime, (auth)enveloped-data */
	SMIME_KIND_CERTS,	/* application/(x-)pkcs7-mime, certs-only */
};
enum smime_kind smime_kind_of(const char *data, size_t len);
/* The body of an application/pkcs7-mime message decoded (base64, or as
 * is for 8bit and binary). Returns 0, or -1 with why. */
int smime_pkcs7_body(const char *data, size_t len, struct strbuf *der,
		     char *why, size_t whylen);

#endif
