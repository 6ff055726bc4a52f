/* lib/wbxml easreq and devstore: both query forms of MS-ASHTTP and their
 * refusals, the routing decision for every device state, the status
 * replies, and the device store (round trip, listing, removal, and
 * eight processes updating one device under its lock). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/base64.h"
#include "wbxml/codepage.h"
#include "wbxml/devstore.h"
#include "wbxml/easreq.h"
#include "wbxml/wbxml.h"

static int parse(const char *q, struct eas_query *out)
{
	char why[128];

	return eas_query_parse(q, strlen(q), out, why, sizeof(why));
}

static void test_plain(void)
{
	struct eas_query q;

	ok(parse("Cmd=FolderSync&User=CORP%5Calice&DeviceId=ABC123&DeviceType=iPhone", &q) == 0,
	   "plain form parses");
	is_str(q.cmd, "FolderSync", "Cmd");
	is_str(q.user, "CORP\\alice", "User percent-decoded");
	is_str(q.device, "ABC123", "DeviceId");
	is_str(q.type, "iPhone", "DeviceType");
	ok(!q.base64 && !q.has_key, "no key in the plain form (it is a header)");
	ok(parse("User=a&DeviceId=X&DeviceType=T", &q) < 0, "no Cmd refused");
	ok(parse("Cmd=Sync&User=a&DeviceType=T", &q) < 0, "no DeviceId refused");
	ok(parse("Cmd=Bogus&DeviceId=X", &q) < 0, "unknown command refused");
	ok(parse("Cmd=Sync&DeviceId=X%0AY", &q) < 0, "control character in DeviceId refused");
	ok(parse("Cmd=Sync&DeviceId=X%G1", &q) < 0, "bad escape refused");
	ok(parse("Cmd=Sync&DeviceId=0123456789012345678901234567890123456789012345678901234567890123456789",
		 &q) < 0, "DeviceId over 64 refused");
}

static void blob_query(const unsigned char *b, size_t n, struct strbuf *out)
{
	base64_encode(b, n, out);
}

static void test_base64(void)
{
	/* 14.1, FolderSync (9), locale, device "DEV1", key 0x01020304,
	 * type "Phone", User "bob". */
	static const unsigned char b[] = {
		141, 9, 0x09, 0x04, 4, 'D', 'E', 'V', '1', 4, 0x04, 0x03, 0x02, 0x01,
		5, 'P', 'h', 'o', 'n', 'e', 8, 3, 'b', 'o', 'b',
	};
	static const unsigned char bin[] = { 140, 0, 0, 0, 2, 0x01, 0xfe, 0, 0 };
	struct strbuf s = STRBUF_INIT;
	struct eas_query q;

	blob_query(b, sizeof(b), &s);
	ok(parse(s.buf, &q) == 0, "base64 form parses");
	ok(q.base64, "known as base64");
	is_str(q.cmd, "FolderSync", "command code 9");
	is_str(q.protocol, "14.1", "version byte 141");
	is_str(q.device, "DEV1", "device id");
	ok(q.has_key && q.key == 0x01020304, "policy key little-endian");
	is_str(q.type, "Phone", "device type");
	is_str(q.user, "bob", "User parameter (tag 8)");
	{
		int accepted = 0;

		for (size_t i = 1; i < sizeof(b); i++) {
			strbuf_reset(&s);
			blob_query(b, i, &s);
			accepted += parse(s.buf, &q) == 0;
		}
		is_int(accepted, 1, "every truncation is refused but the one before the parameters");
	}
	strbuf_reset(&s);
	blob_query(bin, sizeof(bin), &s);
	ok(parse(s.buf, &q) == 0 && strcmp(q.device, "01FE") == 0 && strcmp(q.cmd, "Sync") == 0,
	   "a binary device id becomes hex");
	ok(parse("!!!!", &q) < 0, "not base64 refused");
	strbuf_release(&s);
}

static void test_route(void)
{
	struct eas_query q = { .cmd = "FolderSync" };
	struct devrec r;
	struct strbuf sb = STRBUF_INIT;
	struct wbxml_doc *d;
	enum wbxml_err err;

	memset(&r, 0, sizeof(r));
	r.keystate = DEV_KEY_PROVISIONED;
	r.key = 77;
	is_int(eas_route_decide(&q, true, 77, &r, 77, true), EAS_ROUTE_PASS, "current key passes");
	is_int(eas_route_decide(&q, false, 0, &r, 77, true), EAS_ROUTE_NOT_PROVISIONED, "no key: 142");
	is_int(eas_route_decide(&q, true, 0, &r, 77, true), EAS_ROUTE_NOT_PROVISIONED, "key 0: 142");
	is_int(eas_route_decide(&q, true, 77, &r, 78, true), EAS_ROUTE_BAD_KEY,
	       "policy changed: the old key is refused (144)");
	is_int(eas_route_decide(&q, true, 76, &r, 77, true), EAS_ROUTE_BAD_KEY, "wrong key: 144");
	is_int(eas_route_decide(&q, true, 77, NULL, 77, true), EAS_ROUTE_BAD_KEY,
	       "a key for a device never provisioned here: 144");
	r.wipe = DEV_WIPE_PENDING;
	is_int(eas_route_decide(&q, true, 77, &r, 77, true), EAS_ROUTE_WIPE, "wipe pending: 140");
	r.wipe = DEV_WIPE_DONE;
	is_int(eas_route_decide(&q, true, 77, &r, 77, true), EAS_ROUTE_PASS, "a done wipe no longer blocks");
	is_int(eas_route_decide(&q, true, 77, &r, 77, false), EAS_ROUTE_UNKNOWN_USER,
	       "unknown user never passes");
	strcpy(q.cmd, "Provision");
	is_int(eas_route_decide(&q, false, 0, NULL, 0, false), EAS_ROUTE_PROVISION,
	       "Provision is always ours");
	is_int(eas_route_status(EAS_ROUTE_BAD_KEY), 144, "144");
	ok(eas_status_reply("Ping", 142, &sb), "Ping has a status reply");
	d = wbxml_decode(sb.buf, sb.len, NULL, &err, NULL);
	ok(d && d->root->page == CP_PING && d->root->tag == 0x05 &&
	   strcmp(wbxml_text(wbxml_child(d->root, CP_PING, PING_STATUS)), "142") == 0,
	   "<Ping><Status>142</Status></Ping>");
	wbxml_doc_free(d);
	strbuf_reset(&sb);
	ok(!eas_status_reply("GetAttachment", 142, &sb), "GetAttachment has none (449)");
	strbuf_release(&sb);
	{
		uint32_t k;

		ok(eas_key_parse("4294967295", &k) && k == 4294967295u, "largest key");
		ok(!eas_key_parse("4294967296", &k) && !eas_key_parse("-1", &k) &&
		   !eas_key_parse("", &k), "bad keys refused");
	}
}

static int bump(struct devrec *r, bool created, void *ctx)
{
	r->temp_key++;
	snprintf(r->model, sizeof(r->model), "%s", (const char *)ctx);
	return 1;
}

static int count(const struct devrec *r, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_store(void)
{
	char dir[] = "/tmp/eas-store-XXXXXX";
	struct devstore *ds;
	struct devrec r;
	int n = 0, failed = 0;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	ds = devstore_open(dir);
	ok(ds != NULL, "store opens");
	is_int(devstore_get(ds, "alice", "D1", &r), 0, "no record yet");
	is_int(devstore_update(ds, "Alice", "D1", bump, "Pixel"), 1, "update creates");
	is_int(devstore_get(ds, "alice", "D1", &r), 1, "record found under the lowercased user");
	is_str(r.model, "Pixel", "field kept");
	ok(r.first_seen > 0, "first_seen set");
	is_int(devstore_update(ds, "bob", "weird/id ,x", bump, "X"), 1, "odd device id stored");
	is_int(devstore_get(ds, "bob", "weird/id ,x", &r), 1, "and read back");
	is_int(devstore_list(ds, NULL, count, &n), 2, "two records listed");
	n = 0;
	is_int(devstore_list(ds, "alice", count, &n), 1, "one for alice");
	for (int i = 0; i < 8; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (int k = 0; k < 25; k++)
				if (devstore_update(ds, "alice", "D1", bump, "P") != 1)
					_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int st;

		wait(&st);
		failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	devstore_get(ds, "alice", "D1", &r);
	ok(failed == 0 && r.temp_key == 201, "8 processes x 25 updates under the lock: %u",
	   (unsigned)r.temp_key);
	{
		struct devstore *other = devstore_open(dir);
		struct devrec c1, c2;

		is_int(devstore_get_cached(other, "alice", "D1", &c1), 1, "cached read: first time");
		is_int(devstore_get_cached(other, "alice", "D1", &c2), 1, "cached read: second time");
		ok(c1.temp_key == c2.temp_key && strcmp(c2.model, "P") == 0, "the same record");
		devstore_update(ds, "alice", "D1", bump, "Changed");
		is_int(devstore_get_cached(other, "alice", "D1", &c2), 1, "after another process wrote");
		is_str(c2.model, "Changed", "the new record is seen, not the cached one");
		is_int(devstore_get_cached(other, "alice", "nope", &c2), 0, "no file: 0");
		{
			/* A record replaced by hand (no counter bump): seen once
			 * the cached one is a second old. */
			const struct devrec *p = NULL;
			char src[4096], dst[4096];

			is_int(devstore_peek(other, "alice", "D1", &p), 1, "peek");
			ok(p && strcmp(p->model, "Changed") == 0, "peek: the record in place");
			snprintf(src, sizeof(src), "%s/alice,D1.json", dir);
			snprintf(dst, sizeof(dst), "%s/saved.json", dir);
			ok(link(src, dst) == 0, "a copy of the record");
			devstore_update(ds, "alice", "D1", bump, "ByHand");
			devstore_peek(other, "alice", "D1", &p);
			ok(p && strcmp(p->model, "ByHand") == 0, "a write through the store: seen at once");
			ok(rename(dst, src) == 0, "the old record put back by hand");
			sleep(1);
			usleep(100000);
			devstore_peek(other, "alice", "D1", &p);
			ok(p && strcmp(p->model, "Changed") == 0, "a change by hand: seen within a second");
		}
		devstore_close(other);
	}
	is_int(devstore_wipe(ds, "alice", "nope", "admin", false), 0, "no wipe for an unknown device");
	ok(devstore_get(ds, "alice", "nope", &r) == 0, "and no record made for it");
	is_int(devstore_wipe(ds, "alice", "D1", "admin", false), 1, "wipe marked");
	devstore_get(ds, "alice", "D1", &r);
	ok(r.wipe == DEV_WIPE_PENDING && strcmp(r.wipe_by, "admin") == 0 && r.wipe_requested > 0,
	   "pending, by admin, with its time");
	is_int(devstore_wipe(ds, "alice", "D1", NULL, true), 1, "cancelled");
	is_int(devstore_wipe(ds, "alice", "D1", NULL, true), 0, "nothing left to cancel");
	is_int(devstore_remove(ds, "bob", "weird/id ,x"), 1, "removed");
	is_int(devstore_remove(ds, "bob", "weird/id ,x"), 0, "already gone");
	devstore_close(ds);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
}

int main(void)
{
	test_plain();
	test_base64();
	test_route();
	test_store();
	return tap_done();
}
