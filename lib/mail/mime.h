/* MIME parser shared by scl-score and smtp-edge's content layer: one RFC 5322
 * message (whole, or fed in chunks as SMTP DATA arrives) into a tree of parts
 * that point into the raw bytes by offset; decoding happens on demand.
 *
 * Outside input: every broken message is tolerated and recorded as defect
 * flags (lib/mail/defect.h), work is linear in the message size, and the
 * limits below bound depth, part count, header size and decoded output.
 *
 * Not thread-safe: charset conversion keeps a small per-process cache of
 * iconv descriptors (postern's programs are one process per connection). */
#ifndef POSTERN_MAIL_MIME_H
#define POSTERN_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/defect.h"
#include "util/strbuf.h"

/* Per-call limits. A field left 0 takes its default (MIME_LIMITS_INIT
 * gives all zeros). */
struct mime_limits {
	/* Nesting of multiparts and message/rfc822 parts, the top-level
	 * message at depth 0. A container at depth depth_max is kept as an
	 * opaque leaf (MIME_D_DEPTH_LIMIT). Default 32. */
	unsigned depth_max;
	/* Parts in the whole tree, the root included. When reached, no more
	 * boundaries are recognised: the rest of the message is the opaque
	 * body of the last part, and every container still open ends at the
	 * end of the message (MIME_D_PARTS_LIMIT on the root and that part).
	 * Default 1000. */
	unsigned parts_max;
	/* Bytes of header fields kept per part; the rest of the header block
	 * is skipped up to its end (MIME_D_HEADER_LIMIT). A field crossing
	 * the limit is kept cut there. Default 256 KiB. */
	size_t header_bytes_max;
	/* Header fields kept per part (MIME_D_HEADER_LIMIT). Default 1000. */
	unsigned headers_max;
	/* Bytes one decoding call appends at most (mime_part_decode,
	 * mime_part_text, mime_text); the output is cut there
	 * (MIME_D_DECODE_LIMIT). Default 64 MiB. */
	size_t decode_max;
	/* URLs reported per mime_urls call. Default 1000. */
	unsigned urls_max;
};
#define MIME_LIMITS_INIT { 0, 0, 0, 0, 0, 0 }

#define MIME_DEPTH_MAX_DEFAULT		32
#define MIME_PARTS_MAX_DEFAULT		1000
#define MIME_HEADER_BYTES_MAX_DEFAULT	(256 * 1024)
#define MIME_HEADERS_MAX_DEFAULT	1000
#define MIME_DECODE_MAX_DEFAULT		(64 * 1024 * 1024)
#define MIME_URLS_MAX_DEFAULT		1000

/* One header field. Strings are owned by the message (mime_free). */
struct mime_header {
	char *name;		/* as written, trailing blanks dropped */
	/* Unfolded (line breaks before blanks removed), leading and trailing
	 * blanks trimmed, NUL-terminated; a NUL byte in the field is given as
	 * a space (MIME_D_NUL). Not RFC 2047-decoded: mime_header_decode. */
	char *value;
	size_t value_len;
	size_t off, len;	/* the whole field, line ends included, in raw */
	size_t raw_value_off;	/* just after the colon */
	size_t raw_value_len;	/* to the end of the field, last line end excluded */
	bool cut;		/* cut at header_bytes_max */
};

/* A Content-Type or Content-Disposition parameter. */
struct mime_param {
	char *name;		/* lowercased, without the RFC 2231 "*N*" suffix */
	/* UTF-8: RFC 2231 continuations joined and charset'lang'value
	 * decoded, or RFC 2047 words decoded (what broken mailers send),
	 * quotes and backslash escapes removed. */
	char *value;
	size_t value_len;
};

enum mime_cte {
	MIME_CTE_7BIT,		/* also the default when absent */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN,	/* decoded as is (MIME_D_BAD_CTE) */
};

enum mime_disp {
	MIME_DISP_NONE,		/* no Content-Disposition */
	MIME_DISP_INLINE,
	MIME_DISP_ATTACHMENT,
	MIME_DISP_OTHER,	/* an unknown token: RFC 2183 says attachment */
};

/* One part. The root is the message itself; a message/rfc822 part has one
 * child, the encapsulated message (its root-like part, one level deeper).
 * Everything here is owned by the message and read-only for callers.
 *
 * Offsets are into the raw message (mime_raw). A part's bytes are
 * [hdr_off, body_off + body_len): for a part of a multipart, they start
 * just after its boundary line and stop before the line end that precedes
 * the next boundary line (RFC 2046: that line end belongs to the boundary),
 * so copying or dropping that range keeps the multipart valid. */
struct mime_part {
	struct mime_part *parent, *child, *next;	/* child: first child */
	unsigned index;		/* pre-order number, root 0: mime_part_at */
	unsigned depth;		/* root 0 */
	unsigned nchildren;

	size_t hdr_off, hdr_len;	/* header fields, the blank line excluded */
	size_t body_off, body_len;
	struct mime_header *headers;
	unsigned nheaders;

	/* Lowercased, never NULL. Absent or invalid Content-Type: text/plain
	 * (MIME_D_BAD_CTYPE when invalid), message/rfc822 in a
	 * multipart/digest. */
	char *type, *subtype;
	struct mime_param *params;	/* of the Content-Type used */
	unsigned nparams;
	/* Shortcuts into params, or NULL. charset is lowercased. */
	const char *charset, *boundary;
	enum mime_cte cte;
	enum mime_disp disp;
	struct mime_param *disp_params;
	unsigned ndisp_params;
	/* The attachment's name: Content-Disposition filename, else
	 * Content-Type name; UTF-8, or NULL. */
	const char *filename;
	/* Disposition attachment (or unknown), or a file name, or a leaf
	 * that is neither text/ nor message/ and not marked inline. */
	bool is_attachment;
	/* MIME_D_* found while parsing this part. What decoding finds (bad
	 * base64, QP, charsets) is returned by the decoding calls instead. */
	unsigned defects;
};

struct mime_msg;

/* One-shot: parses data[0..len), which is borrowed and must stay unchanged
 * until mime_free. limits may be NULL. Never fails. */
struct mime_msg *mime_parse(const char *data, size_t len, const struct mime_limits *limits);

/* Incremental: mime_new, then mime_feed as chunks arrive (the message as
 * it is, dot-unstuffed, without SMTP's final "."), then mime_finish. The
 * bytes are copied into the message (mime_raw gives them back, so a caller
 * need not keep its own copy); lines are parsed as they complete, and the
 * tree is the same as mime_parse's on the concatenation, whatever the
 * chunking. The tree may be read only after mime_finish. */
struct mime_msg *mime_new(const struct mime_limits *limits);
void mime_feed(struct mime_msg *m, const void *data, size_t len);
void mime_finish(struct mime_msg *m);

void mime_free(struct mime_msg *m);

/* The raw message (borrowed from mime_parse's caller, or the fed bytes). */
const char *mime_raw(const struct mime_msg *m, size_t *len);
const struct mime_part *mime_root(const struct mime_msg *m);
/* Parts in pre-order (the root is 0); NULL past the end. */
unsigned mime_part_count(const struct mime_msg *m);
const struct mime_part *mime_part_at(const struct mime_msg *m, unsigned i);
/* The OR of every part's defects. */
unsigned mime_defects(const struct mime_msg *m);
const struct mime_limits *mime_limits(const struct mime_msg *m);

/* The nth (0-based) field named name (case-insensitive) of p, or NULL. */
const struct mime_header *mime_header_find(const struct mime_part *p, const char *name,
					   unsigned nth);
unsigned mime_header_count(const struct mime_part *p, const char *name);
/* Appends the field's value with RFC 2047 words decoded and converted to
 * UTF-8 (see mail/rfc2047.h). Returns the defects found. */
unsigned mime_header_decode(const struct mime_header *h, struct strbuf *out);
/* Appends the root's decoded Subject (nothing if absent). Returns defects. */
unsigned mime_subject(const struct mime_msg *m, struct strbuf *out);

/* The value of a parameter of p's Content-Type (or, for the _disp form,
 * Content-Disposition), by lowercase name, or NULL. */
const char *mime_part_param(const struct mime_part *p, const char *name);
const char *mime_part_disp_param(const struct mime_part *p, const char *name);
/* True when p is type/subtype (lowercase; subtype NULL matches any). */
bool mime_part_is(const struct mime_part *p, const char *type, const char *subtype);
/* The raw body bytes of p (transfer-encoded), pointing into mime_raw. */
const char *mime_part_body(const struct mime_msg *m, const struct mime_part *p, size_t *len);

/* Appends p's body with its transfer encoding undone (base64 tolerant of
 * whitespace and garbage, quoted-printable with soft breaks and bad
 * escapes kept as written; 7bit, 8bit, binary and unknown as they are), at
 * most decode_max bytes. For a container, the raw body. Returns the
 * defects found (MIME_D_BAD_BASE64, MIME_D_BAD_QP, MIME_D_DECODE_LIMIT). */
unsigned mime_part_decode(const struct mime_msg *m, const struct mime_part *p,
			  struct strbuf *out);

/* Appends p's text in UTF-8: transfer-decoded, converted from its charset
 * (mail/charset.h says how unknown charsets and bad bytes are handled),
 * and for text/html reduced to text (mail/htmltext.h). Meant for text/
 * parts; any other part is treated as text/plain. Returns defects. */
unsigned mime_part_text(const struct mime_msg *m, const struct mime_part *p,
			struct strbuf *out);

/* The text of the message for classification and rules, appended to out
 * in UTF-8: the decoded Subject, then the text of each text/plain and
 * text/html part in tree order (both sides of a multipart/alternative),
 * each followed by "\n". Text parts of encapsulated messages count; text
 * parts marked as attachments count only with MIME_TEXT_ATTACHMENTS. A
 * multipart none of whose boundaries occurs gives its body as text/plain
 * (mail readers show nothing there, but spam puts words there). At most
 * max bytes (0: decode_max). Returns the defects found while decoding. */
#define MIME_TEXT_NO_SUBJECT	0x1
#define MIME_TEXT_ATTACHMENTS	0x2
unsigned mime_text(const struct mime_msg *m, unsigned flags, size_t max, struct strbuf *out);

/* URLs: http and https (scheme matched without case), found in the text
 * of text/plain parts and, for text/html parts, in the text and in href,
 * src, action and background attribute values (entities decoded). Parts
 * are taken as mime_text takes them (not attachments); in an HTML part the
 * attribute URLs come first, then those in its text. fn gets each in that
 * order, duplicates included, at most urls_max, each
 * cut at MIME_URL_MAX bytes; url is NUL-terminated for the call only.
 * fn returns 0 to go on, anything else to stop (mime_urls returns it). */
#define MIME_URL_MAX 2048
typedef int (*mime_url_fn)(const char *url, size_t len, void *ctx);
int mime_urls(const struct mime_msg *m, mime_url_fn fn, void *ctx);
/* The same over any UTF-8 text (html: true for HTML source); max URLs
 * (0: no limit). Returns what mime_urls does. */
int mime_urls_scan(const char *s, size_t len, bool html, unsigned max, mime_url_fn fn,
		   void *ctx);
/* mime_text(m, flags, max, out) and *urls_rc = mime_urls(m, fn, ctx) in
 * one walk that decodes each part once for both: the same text, defects
 * and URLs, fn called in the same order (for a part, before its text is
 * appended). */
unsigned mime_text_urls(const struct mime_msg *m, unsigned flags, size_t max,
			struct strbuf *out, mime_url_fn fn, void *ctx, int *urls_rc);
/* Appends the host of an http(s) URL, lowercased, without userinfo, port
 * or trailing dot. Returns 0, or -1 if url has no host. */
int mime_url_host(const char *url, size_t len, struct strbuf *out);

#endif
