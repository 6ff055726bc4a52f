/* A directory entry as both backends hand it out: a DN and attributes,
 * each with one or more values held as raw bytes (binary-safe). */
#ifndef POSTERN_DIR_ENTRY_H
#define POSTERN_DIR_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

struct dir_value {
	unsigned char *data;	/* always followed by a NUL not counted in len */
	size_t len;
};

struct dir_attr {
	char *name;		/* attribute description as received, options
				   included ("userCertificate;binary") */
	struct dir_value *vals;
	size_t nvals;
};

/* The whole entry owns its strings and values. */
struct dir_entry {
	char *dn;
	struct dir_attr *attrs;
	size_t nattrs;
	size_t nalloc;
};

/* A new empty entry with a copy of dn. Free with dir_entry_free. */
struct dir_entry *dir_entry_new(const char *dn);
void dir_entry_free(struct dir_entry *e);
/* A deep copy the caller frees. */
struct dir_entry *dir_entry_dup(const struct dir_entry *e);

/* Appends a copy of the value to the attribute named name (same name
 * compared as dir_attr_match does), creating the attribute if needed. */
void dir_entry_add(struct dir_entry *e, const char *name, const void *data, size_t len);

/* The attribute named name, or NULL. Names compare case-insensitively
 * and the ";binary" option is ignored on both sides, so asking for
 * "userSMIMECertificate" finds "userSMIMECertificate;binary" and the
 * other way round. Borrowed from e. */
const struct dir_attr *dir_entry_attr(const struct dir_entry *e, const char *name);
/* Number of values of name; *vals (if not NULL) points at them. */
size_t dir_entry_get(const struct dir_entry *e, const char *name,
		     const struct dir_value **vals);
/* The first value of name as a C string, or NULL if there is none or it
 * holds a NUL byte. Borrowed from e. */
const char *dir_entry_str(const struct dir_entry *e, const char *name);
/* Total number of values held (used to enforce limits). */
size_t dir_entry_nvalues(const struct dir_entry *e);

/* True when the attribute descriptions a and b name the same attribute
 * in the sense of dir_entry_attr. */
bool dir_attr_match(const char *a, const char *b);

#endif
