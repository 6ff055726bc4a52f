/* Inside the directory module: what dir.c needs of a backend. Not for
 * use outside lib/dir. */
#ifndef POSTERN_DIR_BACKEND_H
#define POSTERN_DIR_BACKEND_H

#include <jansson.h>

#include "dir/dir.h"
#include "util/strbuf.h"

enum dir_key {
	DIR_KEY_MAIL,		/* value lowercased */
	DIR_KEY_UID,
	DIR_KEY_PHONE,		/* value normalised */
};

/* Each operation puts the reason for a DIR_TEMPFAIL in err. */
struct dir_backend {
	const char *name;
	void *(*open)(const json_t *section, struct strbuf *err);
	enum dir_status (*lookup)(void *be, enum dir_key key, const char *value,
				  struct dir_entry **ep, struct strbuf *err);
	enum dir_status (*check_password)(void *be, enum dir_key key, const char *user,
					  const char *password, struct strbuf *err);
	enum dir_status (*reload)(void *be, struct strbuf *err);
	void (*close)(void *be);
	/* NULL when the backend is read-only; returns a dir_set_blob code. */
	int (*set_blob)(void *be, const char *dn, const char *attr, const void *data,
			size_t len, struct strbuf *err);
	/* NULL when the backend cannot evaluate a filter (see dir_search). */
	enum dir_status (*search)(void *be, const char *filter, const char *const *attrs,
				  size_t max, dir_search_fn *fn, void *ctx, struct strbuf *err);
};

extern const struct dir_backend dir_file_backend;	/* dir_file.c */
extern const struct dir_backend dir_ldap_backend;	/* dir_ldap.c */

#endif
