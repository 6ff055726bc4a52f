/* Private to lib/mail's MIME files: structured header values. */
#ifndef POSTERN_MAIL_MIME_INT_H
#define POSTERN_MAIL_MIME_INT_H

#include "mail/mime.h"

/* Parses a Content-Type or Content-Disposition value: *token gets the
 * part before the parameters, comments and blanks removed, lowercased
 * (caller frees); *params the parameters, RFC 2231 and 2047 decoded
 * (mime_params_free). Returns MIME_D_* defects. */
unsigned mime_params_parse(const char *value, size_t len, char **token,
			   struct mime_param **params, unsigned *nparams);
void mime_params_free(struct mime_param *params, unsigned n);

#endif
