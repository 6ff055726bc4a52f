/* Form bodies of owa-cas's POST requests: application/x-www-form-urlencoded
 * and multipart/form-data (the compose form with its attachments), with
 * caps on fields, names and part headers. */
#ifndef OWA_CAS_FORM_H
#define OWA_CAS_FORM_H

#include <stddef.h>

#define FORM_FIELDS_MAX 100
#define FORM_NAME_MAX 256
#define FORM_PART_HEADER_MAX 4096

struct form_field {
	char *name;
	char *filename;		/* a file upload, or NULL */
	char *type;		/* its Content-Type, or NULL */
	char *value;		/* NUL-terminated; may hold NULs (len) */
	size_t len;
};

struct form {
	struct form_field *f;
	size_t n;
};

/* Each returns 0, or -1 with *why set; the form may hold what was parsed
 * before the error and must be freed either way. */
int form_parse_urlencoded(const char *body, size_t len, struct form *f, const char **why);
int form_parse_multipart(const char *content_type, const char *body, size_t len,
			 struct form *f, const char **why);
/* Parses either kind by the Content-Type; on an error the form is left
 * empty (nothing half-parsed reaches a handler). */
int form_parse(const char *content_type, const char *body, size_t len, struct form *f,
	       const char **why);
/* The first field of that name that is not a file, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);

#endif
