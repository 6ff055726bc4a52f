/* LDIF content records (RFC 2849): the file directory's storage format,
 * the same text ldapadd loads into slapd. Parser with hard limits whose
 * errors name the file and line, and a writer for the same format. */
#ifndef POSTERN_DIR_LDIF_H
#define POSTERN_DIR_LDIF_H

#include <stddef.h>

#include "dir/entry.h"
#include "util/strbuf.h"

struct ldif_limits {
	size_t line_max;	/* bytes in one physical line */
	size_t value_max;	/* bytes in one unfolded line (one value) */
	size_t values_max;	/* attribute values in one entry */
	size_t entries_max;	/* entries in one file */
	size_t total_max;	/* bytes of input */
};

/* 256 KiB lines and values, 4096 values per entry, 2 million entries,
 * 1 GiB of input. */
extern const struct ldif_limits ldif_default_limits;

/* Called for each complete record with the line it started on; takes
 * ownership of e. Returns 0 to go on, or -1 to stop the parse, after
 * putting its reason in err (ldif_parse then returns -1 too). */
typedef int ldif_entry_fn(struct dir_entry *e, size_t line, void *ctx, struct strbuf *err);

/* Parses data[0..len); name is used in messages. On error returns -1
 * with err holding one line "NAME:LINE: what is wrong" (no newline);
 * entries already handed to fn stay with fn. Returns 0 at the end.
 * "version: 1", comments, folding, "::" base64 values and options such
 * as ";binary" are understood; ":<" URL values, change records other
 * than "changetype: add" (taken as content) and controls are refused. */
int ldif_parse(const char *data, size_t len, const char *name,
	       const struct ldif_limits *lim, ldif_entry_fn *fn, void *ctx,
	       struct strbuf *err);
/* Same for a file (read whole, at most lim->total_max bytes). */
int ldif_parse_file(const char *path, const struct ldif_limits *lim,
		    ldif_entry_fn *fn, void *ctx, struct strbuf *err);

/* Appends e as one LDIF record (lines unfolded, values that are not
 * safe strings in base64, then a blank line). */
void ldif_write_entry(struct strbuf *out, const struct dir_entry *e);

#endif
