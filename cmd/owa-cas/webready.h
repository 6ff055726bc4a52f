/* WebReady: documents as sanitised HTML. Office Open XML (docx, xlsx,
 * pptx) and OpenDocument (odt, ods, odp) are zip containers read with
 * libarchive whose XML is parsed with libxml2 (no network, no entity
 * expansion); PDF goes through pdftotext in a child with CPU, memory,
 * file and process limits. */
#ifndef OWA_CAS_WEBREADY_H
#define OWA_CAS_WEBREADY_H

#include <stddef.h>

#include "util/strbuf.h"

/* Converts data (named filename, of MIME type type) into sanitised HTML
 * appended to out. 0, or -1 with *why set. */
int webready_convert(const char *data, size_t len, const char *filename, const char *type,
		     struct strbuf *out, const char **why);

/* Whether a document of that name or type has a web view. */
int webready_supported(const char *filename, const char *type);

#endif
