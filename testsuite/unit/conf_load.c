/* Unit tests: the table-driven config loader, its errors and defaults. */
#include <stdlib.h>

#include "conf/conf.h"
#include "util/mem.h"
#include "tap.h"

static const struct conf_key route_keys[] = {
	{ "host", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_REQUIRED, "next hop" },
	{ "port", CONF_INT, "25", 1, 65535, NULL, NULL, 0, "port" },
	{ NULL }
};
static const struct conf_key common_keys[] = {
	{ "max_connections", CONF_INT, "100", 1, 10000, NULL, NULL, 0, "limit" },
	{ NULL }
};
static const struct conf_key demo_keys[] = {
	{ "mode", CONF_ENUM, "\"file\"", 0, 0, "file|ldap", NULL, 0, "backend" },
	{ "timeout", CONF_DURATION, "\"30s\"", 1, 3600000, NULL, NULL, 0, "timeout" },
	{ "max_size", CONF_SIZE, "\"10M\"", 0, 0, NULL, NULL, 0, "size" },
	{ "strict", CONF_BOOL, "true", 0, 0, NULL, NULL, 0, "strict" },
	{ "names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0, "names" },
	{ "password", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_SECRET, "secret" },
	/* Defaults of every shape: built directly or parsed (escapes, lists). */
	{ "zero", CONF_INT, "0", 0, 0, NULL, NULL, 0, "zero" },
	{ "neg", CONF_INT, "-5", -10, 10, NULL, NULL, 0, "negative" },
	{ "off", CONF_BOOL, "false", 0, 0, NULL, NULL, 0, "off" },
	{ "quoted", CONF_STRING, "\"say \\\"hi\\\"\"", 0, 0, NULL, NULL, 0, "escapes" },
	{ "empty", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0, "empty" },
	{ "nets", CONF_STRINGS, "[\"127.0.0.0/8\"]", 0, 0, NULL, NULL, 0, "nets" },
	{ "ldap", CONF_OBJECT, NULL, 0, 0, NULL, route_keys + 1, 0, "ldap" },
	{ "routes", CONF_LIST, "[]", 0, 0, NULL, route_keys, 0, "routes" },
	{ "domains", CONF_MAP, "{}", 0, 0, NULL, route_keys, 0, "domains" },
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, common_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section demo = { "smtp-edge", demo_keys, "demo" };
static const struct conf_section *const sections[] = { &log_conf_section, &demo, NULL };

/* Loads text; returns the conf and puts the error text in *errs. */
static struct conf *load(const char *text, char **errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct conf *c = conf_load_string(text, strlen(text), "t.json", sections, fp);

	fclose(fp);
	*errs = buf;
	return c;
}

/* Everything once with defaults filled in at load, once lazily. */
static void run(bool lazy)
{
	char *e;
	struct conf *c;
	json_t *s;

	conf_lazy_defaults(lazy);
	c = load("{}", &e);
	ok(c != NULL && *e == 0, "empty config is valid");
	s = conf_section(c, "smtp-edge");
	is_str(conf_str(s, "mode"), "file", "enum default");
	is_int(conf_int(s, "timeout"), 30000, "duration default in ms");
	is_int(conf_int(s, "max_size"), 10 * 1024 * 1024, "size default in bytes");
	ok(conf_bool(s, "strict"), "bool default");
	is_int(conf_int(s, "ldap.port"), 25, "nested object gets its defaults");
	is_int(conf_int(s, "max_connections"), 100, "included keys get defaults");
	is_str(conf_str(conf_section(c, "log"), "level"), "info", "shared log section");
	ok(conf_str(s, "password") == NULL, "optional string without default is NULL");
	is_int(conf_int(s, "zero"), 0, "zero default");
	is_int(conf_int(s, "neg"), -5, "negative default");
	ok(!conf_bool(s, "off"), "false default");
	is_str(conf_str(s, "quoted"), "say \"hi\"", "string default with escapes");
	is_str(conf_str(s, "empty"), "", "empty string default");
	is_int(conf_strings_len(s, "nets"), 1, "list default");
	is_str(conf_strings_at(s, "nets", 0), "127.0.0.0/8", "its member");
	conf_free(c);
	free(e);

	c = load("{\"smtp-edge\": {\"mode\": \"ldap\", \"timeout\": \"5m\", \"max_size\": 2048,"
		 " \"names\": \"one\", \"routes\": [{\"host\": \"a\"}, {\"host\": \"b\", \"port\": 2525}],"
		 " \"domains\": {\"x.test\": {\"host\": \"h\"}}, \"max_connections\": 7},"
		 " \"owa-cas\": {\"anything\": 1}}", &e);
	ok(c != NULL, "full config loads");
	s = conf_section(c, "smtp-edge");
	is_int(conf_int(s, "timeout"), 300000, "5m is 300000 ms");
	is_int(conf_int(s, "max_size"), 2048, "integer size is bytes");
	is_int(conf_strings_len(s, "names"), 1, "a lone string becomes a list");
	is_str(conf_strings_at(s, "names", 0), "one", "its value");
	is_int(conf_int(json_array_get(conf_get(s, "routes"), 0), "port"), 25, "list member default");
	is_int(conf_int(json_array_get(conf_get(s, "routes"), 1), "port"), 2525, "list member value");
	is_str(conf_str(s, "domains.x.test"), NULL, "dotted path does not split map names wrongly");
	is_int(conf_int(json_object_get(conf_get(s, "domains"), "x.test"), "port"), 25, "map member default");
	is_int(conf_int(s, "max_connections"), 7, "included key value");
	conf_free(c);
	free(e);

	c = load("{\"smtp-edge\": {\"mdoe\": \"file\"}}", &e);
	ok(c == NULL, "misspelt key refused");
	is_str(e, "t.json: smtp-edge.mdoe: unknown key (expected one of: mode, timeout, max_size,"
	       " strict, names, password, zero, neg, off, quoted, empty, nets, ldap, routes, domains,"
	       " max_connections)\n",
	       "message names file, key path and what was expected");
	free(e);

	c = load("{\"smtp-edge\": {\"routes\": [{\"host\": \"a\"}, {\"port\": 70000}]}}", &e);
	ok(c == NULL, "bad list member refused");
	is_str(e, "t.json: smtp-edge.routes[1].port: 70000 is out of range (expected 1 to 65535)\n"
	       "t.json: smtp-edge.routes[1].host: missing (expected a string)\n",
	       "every error reported with its path");
	free(e);

	c = load("{\"smtp-edge\": {\"mode\": \"sql\", \"strict\": \"yes\", \"timeout\": \"5 fortnights\"}}", &e);
	ok(c == NULL && strstr(e, "smtp-edge.mode: expected one of file|ldap") &&
	   strstr(e, "smtp-edge.strict: expected true or false") &&
	   strstr(e, "smtp-edge.timeout: expected a duration"), "wrong types named");
	free(e);

	c = load("{\"smpt-edge\": {}}", &e);
	ok(c == NULL && strncmp(e, "t.json: smpt-edge: unknown section", 34) == 0, "unknown section");
	free(e);

	c = load("{\"smtp-edge\": {\"mode\": \"file\",}}", &e);
	ok(c == NULL && strncmp(e, "t.json:1:", 9) == 0 && strstr(e, "invalid JSON"),
	   "syntax error with line and column");
	free(e);

	c = load("{\"smtp-edge\": {\"mode\": \"file\", \"mode\": \"ldap\"}}", &e);
	ok(c == NULL, "duplicate keys refused");
	free(e);

	c = load("{\"smtp-edge\": {\"timeout\": 0}}", &e);
	ok(c == NULL && strstr(e, "smtp-edge.timeout: 0 is out of range"), "duration range");
	free(e);

	c = load("{\"smtp-edge\": {\"password\": \"hunter2\"}}", &e);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);

		conf_dump(c, fp);
		fclose(fp);
		ok(strstr(buf, "hunter2") == NULL && strstr(buf, "(secret)"), "dump masks secrets");
		free(buf);
	}
	conf_free(c);
	free(e);
}

/* Lazy defaults: the tree holds what was read, the getters the rest. */
static void lazy_only(void)
{
	char *e, *buf = NULL;
	size_t len = 0;
	FILE *fp;
	struct conf *c;
	json_t *s;

	conf_lazy_defaults(true);
	c = load("{\"smtp-edge\": {\"routes\": [{\"host\": \"a\"}]}}", &e);
	s = conf_section(c, "smtp-edge");
	ok(json_object_get(s, "mode") == NULL && json_object_get(s, "timeout") == NULL &&
	   json_object_get(s, "ldap") == NULL, "lazy: no default built at load");
	is_int(conf_int(s, "timeout"), 30000, "lazy: duration default read from the table");
	is_int(conf_int(s, "max_size"), 10 * 1024 * 1024, "lazy: size default read from the table");
	ok(json_object_get(s, "timeout") == NULL, "lazy: a number default builds no value");
	is_int(conf_strings_len(s, "names"), 0, "lazy: empty list default");
	is_str(conf_strings_at(s, "nets", 0), "127.0.0.0/8", "lazy: list default built");
	is_str(conf_str(s, "mode"), "file", "lazy: string default built");
	ok(conf_str(s, "mode") == conf_str(s, "mode") && json_object_get(s, "mode") == NULL,
	   "lazy: built once, kept beside the tree");
	is_int(conf_int(s, "ldap.port"), 25, "lazy: default of an object made on the way");
	is_int(conf_int(json_array_get(conf_get(s, "routes"), 0), "port"), 25,
	       "lazy: list member default");
	ok(conf_get(s, "nonesuch") == NULL && conf_str(s, "password") == NULL,
	   "lazy: unknown key and key without default are NULL");
	fp = open_memstream(&buf, &len);
	conf_dump(c, fp);
	fclose(fp);
	ok(strstr(buf, "\"strict\": true") && strstr(buf, "\"max_connections\": 100") &&
	   strstr(buf, "\"port\": 25") && strstr(buf, "\"level\": \"info\""),
	   "lazy: dump shows every default");
	conf_free(c);
	free(e);
	conf_lazy_defaults(false);
	c = load("{\"smtp-edge\": {\"routes\": [{\"host\": \"a\"}]}}", &e);
	{
		char *eager = NULL;
		size_t elen = 0;

		fp = open_memstream(&eager, &elen);
		conf_dump(c, fp);
		fclose(fp);
		is_str(buf, eager, "lazy: dump the same, keys in the same order, as filled at load");
		free(eager);
	}
	free(buf);
	conf_free(c);
	free(e);
	conf_lazy_defaults(true);

	c = load("{\"smtp-edge\": {\"routes\": [{\"port\": 1}]}}", &e);
	ok(c == NULL, "lazy: required key still checked at load");
	is_str(e, "t.json: smtp-edge.routes[0].host: missing (expected a string)\n",
	       "lazy: with its path");
	free(e);
	conf_lazy_defaults(false);
}

/* The grammar of sizes and durations: digits and a unit, nothing else. */
static void parsers(void)
{
	static const char *const bad[] = { "", "k", "-1", " 5", "+5", "5X", "5 M", "1Mk", "100B",
					   "1234567890123456789", NULL };
	long long n = -7;

	ok(conf_parse_size("10M", &n) == 0 && n == 10LL << 20, "size: 10M");
	ok(conf_parse_size("1kB", &n) == 0 && n == 1024, "size: 1kB");
	ok(conf_parse_size("100", &n) == 0 && n == 100, "size: bare bytes");
	ok(conf_parse_size("2G", &n) == 0 && n == 2LL << 30, "size: 2G");
	for (int i = 0; bad[i]; i++)
		ok(conf_parse_size(bad[i], &n) < 0, "size: '%s' refused", bad[i]);
	ok(conf_parse_size("999999999999999999G", &n) < 0, "size: too large refused");
	ok(conf_parse_duration("250ms", &n) == 0 && n == 250, "duration: 250ms");
	ok(conf_parse_duration("30", &n) == 0 && n == 30000, "duration: bare seconds");
	ok(conf_parse_duration("5m", &n) == 0 && n == 300000, "duration: 5m");
	ok(conf_parse_duration("2d", &n) == 0 && n == 2 * 86400000LL, "duration: 2d");
	ok(conf_parse_duration("-1s", &n) < 0 && conf_parse_duration("1x", &n) < 0 &&
	   conf_parse_duration(" 1s", &n) < 0, "duration: sign, unit, blank refused");
}

int main(void)
{
	run(false);
	run(true);
	lazy_only();
	parsers();
	return tap_done();
}
