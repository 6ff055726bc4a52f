/* The quarantine: a Maildir (tmp/, new/, cur/) holding each quarantined
 * message as an NDR-style multipart/report (a text part saying why, a
 * message/delivery-status part, the original as message/rfc822), with
 * the envelope in X-Postern-* header fields so that release can send the
 * original on with its original envelope. Stored durably (fsync of the
 * file and of new/) before quar_store returns 0. */
#ifndef POSTERN_CONTENT_QUARANTINE_H
#define POSTERN_CONTENT_QUARANTINE_H

#include <stddef.h>
#include <time.h>

#include "util/strbuf.h"

#define QUAR_ID_MAX 96
#define QUAR_RCPT_MAX 1000
#define QUAR_HEADER_MAX (256 * 1024)	/* bytes of a report's header read */

/* One quarantined message's envelope and why; everything owned. */
struct quar_item {
	char id[QUAR_ID_MAX];
	char *sender;		/* "" for <> */
	char **rcpts;
	size_t nrcpt;
	char *reason;
	char *client;
	char *subject;		/* the original's, as written */
	time_t when;
	size_t size;		/* of the original */
	struct strbuf original;	/* quar_read only: the original message */
};

struct quar_env {
	const char *sender;
	const char *const *rcpts;
	size_t nrcpt;
	const char *reason;	/* one line */
	const char *client;	/* the client's address */
	const char *hostname;	/* ours */
	const char *subject;	/* the original's Subject (raw), or NULL */
};

/* Stores msg under dir (created when missing); id gets the new ID.
 * Returns 0 once it is on disk, or -1 with errno set (nothing left). */
int quar_store(const char *dir, const struct quar_env *env, const char *msg, size_t len,
	       char id[QUAR_ID_MAX]);

/* Whether id is well formed (letters, digits, '.', '_', '-'). */
int quar_id_valid(const char *id);

/* Calls fn for each item (oldest first; the item is freed after the
 * call). Returns 0, -1 when dir cannot be read (errno), or fn's non-zero
 * return. */
typedef int (*quar_list_fn)(const struct quar_item *it, void *ctx);
int quar_list(const char *dir, quar_list_fn fn, void *ctx);

/* Reads item id with its original. Returns 0, -1 with errno (ENOENT for
 * no such item, EBADMSG for a file that is not one of ours). */
int quar_read(const char *dir, const char *id, struct quar_item *it);
/* Removes item id. Returns 0 or -1 with errno (ENOENT). */
int quar_delete(const char *dir, const char *id);
/* The path of item id's file in buf. Returns 0 or -1 (ENOENT). */
int quar_path(const char *dir, const char *id, char *buf, size_t size);

void quar_item_clear(struct quar_item *it);

/* Parses a report's text (meta only unless with_original): for quar_read
 * and the fuzz harness. Returns 0 or -1 (not a quarantine report). */
int quar_parse(const char *text, size_t len, int with_original, struct quar_item *it);

#endif
