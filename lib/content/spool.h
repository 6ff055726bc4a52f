/* A message held whole before the content layer decides on it: in memory
 * up to a limit, then in an unlinked temporary file, mapped when complete
 * so the MIME parser and the stages see one contiguous buffer. */
#ifndef POSTERN_CONTENT_SPOOL_H
#define POSTERN_CONTENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

struct spool {
	struct strbuf mem;
	size_t mem_max;		/* bytes kept in memory before the file */
	const char *dir;	/* where the file goes (borrowed) */
	int fd;			/* the file, or -1 */
	size_t len;		/* bytes held in all */
	void *map;		/* the file mapped by spool_data, or NULL */
	bool failed;		/* a write failed: spool_data gives NULL */
};

/* dir: the directory for the temporary file ("/tmp" when NULL). */
void spool_init(struct spool *sp, size_t mem_max, const char *dir);
/* Appends data. Returns 0, or -1 after logging (the file cannot be
 * written: the caller answers 4xx). */
int spool_add(struct spool *sp, const void *data, size_t len);
/* The whole message, contiguous, valid until spool_reset; NULL after a
 * failure. */
const char *spool_data(struct spool *sp, size_t *len);
/* Empties sp for the next message (the file goes). */
void spool_reset(struct spool *sp);
void spool_release(struct spool *sp);

#endif
