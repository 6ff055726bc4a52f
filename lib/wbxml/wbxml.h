/* WBXML (WAP-192) as ActiveSync uses it (MS-ASWBXML): a decoder from
 * bytes to a tree of elements named by (code page, token), with limits
 * on everything outside input can make large, and an encoder from such a
 * tree. Header with string table (read), inline strings, opaque data,
 * entities and SWITCH_PAGE are understood; attributes, literals and
 * extensions are not used by ActiveSync and are refused. The code pages
 * themselves are in wbxml/codepage.h; XML text in wbxml/wbxml_xml.h. */
#ifndef POSTERN_WBXML_WBXML_H
#define POSTERN_WBXML_WBXML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

enum wbxml_kind {
	WBXML_ELEM,
	WBXML_TEXT,		/* inline string, string table reference, entity */
	WBXML_OPAQUE,
};

struct wbxml_node {
	enum wbxml_kind kind;
	unsigned char page, tag;	/* WBXML_ELEM: code page, token 0x05-0x3f */
	char *data;		/* TEXT, OPAQUE: bytes, NUL-terminated (not counted) */
	size_t len;
	struct wbxml_node *parent, *child, *last, *next;
};

/* What a decoder accepts. Zero fields take the defaults below. */
struct wbxml_limits {
	size_t depth_max;	/* nesting of elements (default 32) */
	size_t nodes_max;	/* elements and texts (default 10000) */
	size_t string_max;	/* one inline string or opaque (default 1 MiB) */
	size_t strtbl_max;	/* the string table (default 64 KiB) */
};

enum wbxml_err {
	WBXML_OK,
	WBXML_ETRUNC,		/* the document ends early */
	WBXML_EHEADER,		/* bad version, public id or charset */
	WBXML_ETOKEN,		/* a global token ActiveSync does not use */
	WBXML_EPAGE,		/* SWITCH_PAGE to a page that does not exist */
	WBXML_ETAG,		/* a token the current page does not define */
	WBXML_EDEPTH,		/* nested deeper than depth_max */
	WBXML_EBIG,		/* a string, the string table or node count too big */
	WBXML_ESTRUCT,		/* text at top level, END without element,
				   several roots, bytes after the root */
	WBXML_ESTRTBL,		/* a string table reference out of range */
};

struct wbxml_doc {
	unsigned char version;	/* 0x03 for WBXML 1.3 */
	unsigned publicid;	/* 1: unknown, as ActiveSync sends */
	unsigned charset;	/* 106: UTF-8 */
	struct wbxml_node *root;	/* NULL only for an empty new doc */
	size_t nodes;
};

/* A new empty document (version 1.3, public id 1, UTF-8). */
struct wbxml_doc *wbxml_doc_new(void);
void wbxml_doc_free(struct wbxml_doc *doc);

/* Decodes buf[0..len). On success returns the document; otherwise NULL
 * with *err set and *where (if not NULL) at the offending offset. Tokens
 * are checked against the code pages of wbxml/codepage.h. */
struct wbxml_doc *wbxml_decode(const void *buf, size_t len, const struct wbxml_limits *lim,
			       enum wbxml_err *err, size_t *where);
/* A few words for messages: "truncated", "unknown code page"... */
const char *wbxml_strerror(enum wbxml_err err);

/* Building a tree. parent NULL makes the root (once). The strings are
 * copied. Returns the new node, owned by doc. */
struct wbxml_node *wbxml_add_elem(struct wbxml_doc *doc, struct wbxml_node *parent,
				  unsigned page, unsigned tag);
struct wbxml_node *wbxml_add_text(struct wbxml_doc *doc, struct wbxml_node *parent,
				  const char *s, size_t len);
struct wbxml_node *wbxml_add_opaque(struct wbxml_doc *doc, struct wbxml_node *parent,
				    const void *data, size_t len);
/* An element holding a text child (or none when s is NULL). */
struct wbxml_node *wbxml_add_elem_text(struct wbxml_doc *doc, struct wbxml_node *parent,
				       unsigned page, unsigned tag, const char *s);

/* Appends the encoding of doc to out: header, no string table, inline
 * strings, SWITCH_PAGE where the page changes, END after content. */
void wbxml_encode(const struct wbxml_doc *doc, struct strbuf *out);

/* Navigation. The first child element of n with this page and tag, or
 * NULL; wbxml_next_elem continues after a found one. */
struct wbxml_node *wbxml_child(const struct wbxml_node *n, unsigned page, unsigned tag);
struct wbxml_node *wbxml_next_elem(const struct wbxml_node *n, unsigned page, unsigned tag);
/* The element found by following the (page, tag) pairs from n, ending
 * with a pair (0, 0), or NULL. */
struct wbxml_node *wbxml_path(const struct wbxml_node *n, ...);
/* The data of the element's first text or opaque child (the decoder
 * merges adjacent strings into one), or NULL. Borrowed from the tree. */
const char *wbxml_text(const struct wbxml_node *n);

#endif
