/* lib/wbxml: the decoder and encoder on hand-made documents, every
 * refusal the decoder makes (truncation at each byte, bad page, unknown
 * tag, depth, size, attributes, trailing bytes), the code page tables
 * both ways, and XML text both ways. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "wbxml/codepage.h"
#include "wbxml/wbxml.h"
#include "wbxml/wbxml_xml.h"

/* <Provision xmlns="Provision:" xmlns:settings="Settings:"><settings:DeviceInformation>
 * <settings:Set><settings:Model>Pixel 8</settings:Model></settings:Set>
 * </settings:DeviceInformation><Policies><Policy><PolicyType>T</PolicyType>
 * </Policy></Policies></Provision>, as xml2wbxml -a -n writes it. */
static const unsigned char prov[] = {
	0x03, 0x01, 0x6a, 0x00, 0x00, 0x0e, 0x45, 0x00, 0x12, 0x56, 0x48, 0x57, 0x03,
	'P', 'i', 'x', 'e', 'l', ' ', '8', 0x00, 0x01, 0x01, 0x01, 0x00, 0x0e, 0x46, 0x47,
	0x48, 0x03, 'T', 0x00, 0x01, 0x01, 0x01, 0x01,
};

static void test_decode(void)
{
	enum wbxml_err err;
	struct wbxml_doc *d = wbxml_decode(prov, sizeof(prov), NULL, &err, NULL);
	struct wbxml_node *n;
	struct strbuf sb = STRBUF_INIT;

	ok(d != NULL, "a Provision request decodes");
	if (!d)
		return;
	is_int(d->root->page, CP_PROVISION, "root in page 14");
	is_int(d->root->tag, PROV_PROVISION, "root is Provision");
	n = wbxml_path(d->root, CP_SETTINGS, SET_DEVICEINFORMATION, CP_SETTINGS, SET_SET,
		       CP_SETTINGS, SET_MODEL, 0, 0);
	is_str(wbxml_text(n), "Pixel 8", "settings:Model found by path across the page switch");
	n = wbxml_path(d->root, CP_PROVISION, PROV_POLICIES, CP_PROVISION, PROV_POLICY,
		       CP_PROVISION, PROV_POLICYTYPE, 0, 0);
	is_str(wbxml_text(n), "T", "PolicyType after switching back to page 14");
	wbxml_encode(d, &sb);
	ok(sb.len == sizeof(prov) && memcmp(sb.buf, prov, sizeof(prov)) == 0,
	   "re-encoding gives the same bytes");
	wbxml_doc_free(d);
	strbuf_release(&sb);
}

static void test_truncation(void)
{
	int crashes_or_accepts = 0;

	for (size_t i = 0; i < sizeof(prov); i++) {
		enum wbxml_err err = WBXML_OK;
		struct wbxml_doc *d = wbxml_decode(prov, i, NULL, &err, NULL);

		if (d || err == WBXML_OK)
			crashes_or_accepts++;
		wbxml_doc_free(d);
	}
	is_int(crashes_or_accepts, 0, "every truncation of the document is refused");
}

static enum wbxml_err decode_err(const unsigned char *b, size_t n, const struct wbxml_limits *l)
{
	enum wbxml_err err = WBXML_OK;
	struct wbxml_doc *d = wbxml_decode(b, n, l, &err, NULL);

	wbxml_doc_free(d);
	return d ? WBXML_OK : err;
}

static void test_refusals(void)
{
	static const unsigned char badpage[] = { 3, 1, 0x6a, 0, 0, 0x30, 0x45, 0x01 };
	static const unsigned char badtag[] = { 3, 1, 0x6a, 0, 0x05 | 0x40, 0x3f, 0x01, 0x01 };
	static const unsigned char attrs[] = { 3, 1, 0x6a, 0, 0xc5, 0x01, 0x01 };
	static const unsigned char literal[] = { 3, 1, 0x6a, 0, 0x04, 0x00, 0x01 };
	static const unsigned char trailing[] = { 3, 1, 0x6a, 0, 0x05, 0x05 };
	static const unsigned char endfirst[] = { 3, 1, 0x6a, 0, 0x01 };
	static const unsigned char textroot[] = { 3, 1, 0x6a, 0, 0x03, 'a', 0 };
	static const unsigned char badcharset[] = { 3, 1, 0x04, 0, 0x05 };
	static const unsigned char bigmb[] = { 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	static const unsigned char strt[] = { 3, 1, 0x6a, 2, 'a', 0, 0x45, 0x83, 0x05, 0x01 };
	static const unsigned char opaque_big[] = { 3, 1, 0x6a, 0, 0x45, 0xc3, 0x81, 0x80, 0x80, 0x00, 0x01 };
	unsigned char deep[200], big[2000];
	struct wbxml_limits small = { .depth_max = 8, .string_max = 1000 };
	size_t n = 0;

	is_int(decode_err(badpage, sizeof(badpage), NULL), WBXML_EPAGE, "SWITCH_PAGE to page 48");
	is_int(decode_err(badtag, sizeof(badtag), NULL), WBXML_ETAG, "token 0x3f unknown in page 0");
	is_int(decode_err(attrs, sizeof(attrs), NULL), WBXML_ETOKEN, "attributes refused");
	is_int(decode_err(literal, sizeof(literal), NULL), WBXML_ETOKEN, "LITERAL refused");
	is_int(decode_err(trailing, sizeof(trailing), NULL), WBXML_ESTRUCT, "a second root");
	is_int(decode_err(endfirst, sizeof(endfirst), NULL), WBXML_ESTRUCT, "END with nothing open");
	is_int(decode_err(textroot, sizeof(textroot), NULL), WBXML_ESTRUCT, "text at top level");
	is_int(decode_err(badcharset, sizeof(badcharset), NULL), WBXML_EHEADER, "charset 4 refused");
	is_int(decode_err(bigmb, sizeof(bigmb), NULL), WBXML_EBIG, "a 5-byte mb_u_int32 over 32 bits");
	is_int(decode_err(strt, sizeof(strt), NULL), WBXML_ESTRTBL, "string table offset 5 of 2");
	is_int(decode_err(opaque_big, sizeof(opaque_big), NULL), WBXML_EBIG, "opaque of 2 MiB over the 1 MiB default");
	/* 9 nested Sync elements with depth_max 8. */
	deep[n++] = 3; deep[n++] = 1; deep[n++] = 0x6a; deep[n++] = 0;
	for (int i = 0; i < 9; i++)
		deep[n++] = 0x45;
	for (int i = 0; i < 9; i++)
		deep[n++] = 0x01;
	is_int(decode_err(deep, n, &small), WBXML_EDEPTH, "nesting 9 with depth_max 8");
	is_int(decode_err(deep, n, NULL), WBXML_OK, "the same nesting within the default limit");
	n = 0;
	big[n++] = 3; big[n++] = 1; big[n++] = 0x6a; big[n++] = 0; big[n++] = 0x45; big[n++] = 0x03;
	memset(big + n, 'x', 1500);
	n += 1500;
	big[n++] = 0; big[n++] = 0x01;
	is_int(decode_err(big, n, &small), WBXML_EBIG, "a 1500-byte string with string_max 1000");
	is_int(decode_err(big, n, NULL), WBXML_OK, "the same string within the default limit");
}

static void test_text_forms(void)
{
	/* An inline string, a string table reference and an entity make one
	 * text; opaque data stays apart. */
	static const unsigned char doc[] = {
		3, 1, 0x6a, 3, 'b', 'c', 0, 0x45, 0x03, 'a', 0, 0x83, 0x00, 0x02, 0x81, 0x20,
		0xc3, 0x02, 0x00, 0xff, 0x01,
	};
	enum wbxml_err err;
	struct wbxml_doc *d = wbxml_decode(doc, sizeof(doc), NULL, &err, NULL);
	struct wbxml_node *t;

	ok(d != NULL, "string table, entity and opaque decode");
	if (!d)
		return;
	t = d->root->child;
	is_str(t->data, "abc\xc2\xa0", "STR_I, STR_T and entity U+00A0 merged");
	ok(t->next && t->next->kind == WBXML_OPAQUE && t->next->len == 2 &&
	   (unsigned char)t->next->data[1] == 0xff, "opaque kept as its own node");
	wbxml_doc_free(d);
}

static void test_codepages(void)
{
	int bad = 0, tags = 0;

	for (unsigned p = 0; p < WBXML_PAGES; p++)
		for (unsigned t = 0x05; t <= 0x3f; t++) {
			const char *name = wbxml_tag_name(p, t);

			if (!name)
				continue;
			tags++;
			if (wbxml_tag_token(p, name) != (int)t)
				bad++;
		}
	is_int(bad, 0, "every tag name maps back to its token (%d tags)", tags);
	is_str(wbxml_tag_name(CP_PROVISION, 0x0c), "RemoteWipe", "Provision 0x0C");
	is_str(wbxml_tag_name(CP_PROVISION, 0x3b), "AccountOnlyRemoteWipe", "Provision 0x3B");
	is_str(wbxml_tag_name(CP_SETTINGS, 0x16), "DeviceInformation", "Settings 0x16");
	is_str(wbxml_tag_name(CP_FOLDERHIERARCHY, 0x16), "FolderSync", "FolderHierarchy 0x16");
	is_str(wbxml_tag_name(CP_PING, 0x05), "Ping", "Ping 0x05");
	ok(wbxml_tag_name(CP_PROVISION, 0x12) == NULL, "Provision 0x12 is not defined");
	ok(wbxml_tag_name(26, 0x05) == NULL, "no page 26");
	is_int(wbxml_page_by_name("provision:", 10), CP_PROVISION, "namespace with colon");
	is_int(wbxml_page_by_name("AirSyncBase", 11), CP_AIRSYNCBASE, "namespace without colon");
	is_int(wbxml_page_by_name("Nope", 4), -1, "unknown namespace");
}

static void test_xml(void)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE ActiveSync PUBLIC \"-//MICROSOFT//DTD ActiveSync//EN\" "
		"\"http://www.microsoft.com/\">\n<Provision xmlns=\"Provision:\" xmlns:s=\"Settings:\">"
		"<s:DeviceInformation><s:Set><s:Model>Pixel 8</s:Model></s:Set></s:DeviceInformation>"
		"<Policies>\n  <Policy><PolicyType>T</PolicyType></Policy></Policies></Provision>\n";
	char err[200];
	struct wbxml_doc *d = wbxml_from_xml(xml, strlen(xml), NULL, err, sizeof(err));
	struct strbuf sb = STRBUF_INIT, x = STRBUF_INIT;
	struct wbxml_doc *d2;

	ok(d != NULL, "XML with a prefix and a DOCTYPE parses");
	if (!d)
		return;
	wbxml_encode(d, &sb);
	ok(sb.len == sizeof(prov) && memcmp(sb.buf, prov, sb.len) == 0,
	   "and encodes to the bytes xml2wbxml writes");
	wbxml_to_xml(d, &x, false);
	d2 = wbxml_from_xml(x.buf, x.len, NULL, err, sizeof(err));
	strbuf_reset(&sb);
	if (d2)
		wbxml_encode(d2, &sb);
	ok(d2 && sb.len == sizeof(prov) && memcmp(sb.buf, prov, sb.len) == 0,
	   "our XML reads back to the same document");
	wbxml_doc_free(d);
	wbxml_doc_free(d2);
	strbuf_reset(&x);

	{
		static const char ent[] = "<Sync xmlns=\"AirSync:\"><SyncKey>a&amp;b&#x41;</SyncKey></Sync>";

		d = wbxml_from_xml(ent, strlen(ent), NULL, err, sizeof(err));
	}
	ok(d && strcmp(wbxml_text(d->root->child), "a&bA") == 0, "entities decoded");
	if (d) {
		wbxml_to_xml(d, &x, false);
		ok(strstr(x.buf, "<SyncKey>a&amp;bA</SyncKey>") != NULL, "and escaped again: %s", x.buf);
	}
	wbxml_doc_free(d);
	strbuf_release(&x);
	strbuf_release(&sb);

	{
		static const char *const bad[] = {
			"<Sync xmlns=\"AirSync:\"><Nope/></Sync>",
			"<Sync xmlns=\"AirSync:\"><SyncKey></Sync>",
			"<Sync xmlns=\"Bogus:\"/>",
			"<Sync/>",
			"<!DOCTYPE x [<!ENTITY a \"b\">]><Sync xmlns=\"AirSync:\"/>",
			"<Sync xmlns=\"AirSync:\">&ent;</Sync>",
			"<Sync xmlns=\"AirSync:\"/><Sync xmlns=\"AirSync:\"/>",
			"<Sync xmlns=\"AirSync:\">",
			"",
		};
		int refused = 0;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct wbxml_doc *b = wbxml_from_xml(bad[i], strlen(bad[i]), NULL, err,
							     sizeof(err));

			refused += b == NULL && strncmp(err, "line ", 5) == 0;
			wbxml_doc_free(b);
		}
		is_int(refused, (int)(sizeof(bad) / sizeof(bad[0])),
		       "bad XML refused with a line number");
	}
}

int main(void)
{
	test_decode();
	test_truncation();
	test_refusals();
	test_text_forms();
	test_codepages();
	test_xml();
	return tap_done();
}
