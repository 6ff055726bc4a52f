/* The directory: users looked up by mail address (or alias), uid or phone
 * number, and password checks, over one of two backends chosen in the
 * "directory" config section: an LDIF file (loaded into memory, indexed,
 * reloaded when it changes) or an LDAP server (OpenLDAP, Active
 * Directory). A directory that cannot be reached is DIR_TEMPFAIL, never
 * DIR_NOTFOUND: callers turn the first into 4xx / exit 75. */
#ifndef POSTERN_DIR_DIR_H
#define POSTERN_DIR_DIR_H

#include <jansson.h>

#include "conf/conf.h"
#include "dir/entry.h"

enum dir_status {
	DIR_OK,
	DIR_NOTFOUND,		/* no such user, or (password check) wrong
				   user or password: never says which */
	DIR_TEMPFAIL,		/* the directory is unreachable, slow or
				   broken: try again later */
};

/* The "directory" section: backend, file, alias_attributes, ldap.*. */
extern const struct conf_section dir_conf_section;

struct dir;

/* Opens the directory described by a "directory" section (as returned by
 * conf_section). The file backend loads the file now; the LDAP backend
 * reads its bind password file now and connects on first use. Returns
 * NULL after logging the reason when the section or the file is bad. */
struct dir *dir_open(const json_t *section);
/* Closes connections and frees everything; d may be NULL. */
void dir_close(struct dir *d);

/* File backend: rereads the file now (the current data stays if the new
 * file is bad: DIR_TEMPFAIL). LDAP backend: drops the connections. */
enum dir_status dir_reload(struct dir *d);

/* Each lookup sets *ep to a new entry on DIR_OK (free with
 * dir_entry_free, see dir/entry.h) and to NULL otherwise.
 * By mail or one of the alias attributes, the address compared without
 * regard to case. */
enum dir_status dir_lookup_mail(struct dir *d, const char *addr, struct dir_entry **ep);
/* By uid, without regard to case. */
enum dir_status dir_lookup_uid(struct dir *d, const char *uid, struct dir_entry **ep);
/* By telephoneNumber, both sides normalised by dir_phone_normalise, so
 * "+33 1 23-45" finds "+3312345". */
enum dir_status dir_lookup_phone(struct dir *d, const char *phone, struct dir_entry **ep);

/* user is a uid, or a mail address when it holds '@'. An empty password
 * is always refused. File backend: userPassword hashes (see
 * dir/pwhash.h; plain-text values are refused with a warning). LDAP: a
 * bind as the user's DN on a connection of its own. */
enum dir_status dir_check_password(struct dir *d, const char *user, const char *password);

/* dir_set_blob's answer when the directory cannot be written from here:
 * the file backend, or an LDAP server that refuses the service account
 * (insufficient access) or whose schema does not allow the attribute in
 * that entry. Callers keep the data elsewhere. */
#define DIR_READONLY 3

/* Replaces every value of attr in the entry dn_or_uid (a DN when it holds
 * '=', else a uid looked up first) with the len bytes at data (no value
 * when len is 0). LDAP: a modify as the service account. Returns DIR_OK,
 * DIR_NOTFOUND, DIR_TEMPFAIL or DIR_READONLY. */
int dir_set_blob(struct dir *d, const char *dn_or_uid, const char *attr, const void *data,
		 size_t len);

/* Called by dir_search for each entry found; nonzero stops the search. */
typedef int dir_search_fn(const struct dir_entry *e, void *ctx);

/* Every entry under the LDAP base that matches filter (an LDAP filter,
 * RFC 4515), with only the attributes named in attrs (NULL-terminated; NULL
 * for all), fn called on each in the server's order. More than max
 * entries is DIR_TEMPFAIL ("more than MAX entries match"), so a caller
 * never works on a silently cut list. LDAP backend only: the file backend
 * answers DIR_TEMPFAIL with a reason, since it cannot evaluate a filter.
 * Returns DIR_OK (also when none match), DIR_TEMPFAIL. */
enum dir_status dir_search(struct dir *d, const char *filter, const char *const *attrs,
			   size_t max, dir_search_fn *fn, void *ctx);

/* Why the last call returned DIR_TEMPFAIL (or dir_open failed), for
 * messages: never holds a password. Borrowed from d. */
const char *dir_error(const struct dir *d);
/* "ok", "not found", "temporary failure". */
const char *dir_status_str(enum dir_status s);
/* "file" or "ldap". */
const char *dir_backend(const struct dir *d);

/* Keeps the digits and a leading '+'. Returns a new string (the caller
 * frees it), or NULL when no digit is left. */
char *dir_phone_normalise(const char *phone);

#endif
