/* ActiveSync WBXML as XML text, for troubleshooting and tests: the
 * decoder's tree printed with one namespace per code page ("AirSync:",
 * "Provision:", ... as MS-ASCMD's examples write them), and such XML read
 * back into a tree for the encoder. The reader knows the XML that
 * wbxml2xml, Exchange logs and MS-ASCMD examples show: elements,
 * xmlns declarations, text, CDATA, the five named entities and character
 * references, comments, processing instructions and a DOCTYPE line. */
#ifndef POSTERN_WBXML_WBXML_XML_H
#define POSTERN_WBXML_WBXML_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"
#include "wbxml/wbxml.h"

/* Appends doc as XML to out, indented by two spaces per level when
 * indent. Opaque data that is not printable UTF-8 is written as base64
 * after a comment saying so. */
void wbxml_to_xml(const struct wbxml_doc *doc, struct strbuf *out, bool indent);

/* Parses XML text into a tree. Elements take their code page from their
 * namespace (a prefix or the default one, "Name" or "Name:"); an element
 * with no namespace at all keeps its parent's page. Whitespace-only text
 * between elements is dropped. Returns NULL with a message in err (at
 * most errlen bytes, with the line number) on bad XML or a name no page
 * defines. lim bounds depth, node count and string length. */
struct wbxml_doc *wbxml_from_xml(const char *text, size_t len, const struct wbxml_limits *lim,
				 char *err, size_t errlen);

#endif
