/* libFuzzer harness: the config loader on arbitrary bytes, against a table
 * that uses every key type. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"

static const struct conf_key sub_keys[] = {
	{ "host", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_REQUIRED, "host" },
	{ "port", CONF_INT, "25", 1, 65535, NULL, NULL, 0, "port" },
	{ NULL }
};
static const struct conf_key keys[] = {
	{ "mode", CONF_ENUM, "\"file\"", 0, 0, "file|ldap", NULL, 0, "mode" },
	{ "path", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "path" },
	{ "timeout", CONF_DURATION, "\"30s\"", 1, 3600000, NULL, NULL, 0, "timeout" },
	{ "size", CONF_SIZE, "\"1M\"", 0, 0, NULL, NULL, 0, "size" },
	{ "on", CONF_BOOL, "false", 0, 0, NULL, NULL, 0, "on" },
	{ "names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0, "names" },
	{ "obj", CONF_OBJECT, NULL, 0, 0, NULL, sub_keys + 1, 0, "obj" },
	{ "list", CONF_LIST, "[]", 0, 0, NULL, sub_keys, 0, "list" },
	{ "map", CONF_MAP, "{}", 0, 0, NULL, sub_keys, 0, "map" },
	{ "inc", CONF_INCLUDE, NULL, 0, 0, NULL, sub_keys + 1, 0, NULL },
	{ NULL }
};
static const struct conf_section sec = { "smtp-edge", keys, "fuzz" };
static const struct conf_section *const sections[] = { &log_conf_section, &sec, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *devnull = fopen("/dev/null", "w");
	struct conf *c;

	/* Defaults at load or lazily (scl-score's way), by the first byte. */
	conf_lazy_defaults(size > 0 && (data[0] & 1));
	c = conf_load_string((const char *)data, size, "fuzz.json", sections, devnull);

	if (c) {
		json_t *s = conf_section(c, "smtp-edge");

		(void)conf_str(s, "mode");
		(void)conf_int(s, "timeout");
		(void)conf_int(s, "size");
		(void)conf_bool(s, "on");
		(void)conf_strings_len(s, "names");
		(void)conf_int(s, "obj.port");
		(void)conf_int(json_array_get(conf_get(s, "list"), 0), "port");
		conf_dump(c, devnull);
		conf_free(c);
	}
	fclose(devnull);
	return 0;
}
