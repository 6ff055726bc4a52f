/* The configuration file: one JSON file with a section per program and
 * shared sections (directory, tls, log, dns). Each section is described
 * by a table of keys (type, default, range, doc); the same table checks
 * the file, fills in defaults, feeds -n, the man pages' CONFIG sections and
 * postern.json(5). Errors name the file, the key path and what was
 * expected. After loading, values are read with the conf_* getters. */
#ifndef POSTERN_CONF_CONF_H
#define POSTERN_CONF_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH "/etc/postern/postern.json"
#define CONF_MAX_BYTES (4 * 1024 * 1024)

enum conf_type {
	CONF_STRING,
	CONF_PATH,		/* a string naming a file or directory */
	CONF_INT,		/* min..max */
	CONF_BOOL,
	CONF_ENUM,		/* one of choices "a|b|c" */
	CONF_DURATION,		/* "500ms", "30s", "5m", "2h", "1d" or seconds;
				   stored as integer milliseconds */
	CONF_SIZE,		/* "512", "64k", "10M", "1G"; stored as bytes */
	CONF_STRINGS,		/* array of strings (a lone string is taken) */
	CONF_OBJECT,		/* object with the keys of sub */
	CONF_LIST,		/* array of objects, each with the keys of sub */
	CONF_MAP,		/* object of NAME -> object with the keys of sub */
	CONF_INCLUDE,		/* the keys of sub spliced in at this place */
};

#define CONF_REQUIRED 0x1	/* must be given; def is ignored */
#define CONF_SECRET 0x2		/* never printed (e.g. a password itself) */

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def;	/* default as JSON text ("25", "\"file\"",
				   "[]", "true"), or NULL for none */
	long long min, max;	/* INT, DURATION (ms), SIZE: range if min<max */
	const char *choices;	/* ENUM */
	const struct conf_key *sub;	/* OBJECT, LIST, MAP, INCLUDE */
	unsigned flags;
	const char *doc;	/* one line */
};

struct conf_section {
	const char *name;
	const struct conf_key *keys;	/* ends with a key whose name is NULL */
	const char *doc;
};

struct conf;

/* Loads and checks path against the given sections (NULL-terminated).
 * Top-level sections of other postern programs are accepted unchecked;
 * anything else unknown is an error. Every error is printed to err as
 * "FILE: KEY.PATH: what is wrong (expected ...)". Returns NULL on any
 * error. If path is NULL the file from $POSTERN_CONFIG, else the default
 * path, is read; a missing default file gives an empty config when
 * missing_ok. */
struct conf *conf_load(const char *path, const struct conf_section *const *sections,
		       bool missing_ok, FILE *err);
/* Same from a string (tests, fuzzing); name is used in messages. */
struct conf *conf_load_string(const char *text, size_t len, const char *name,
			      const struct conf_section *const *sections, FILE *err);
void conf_free(struct conf *c);
const char *conf_path(const struct conf *c);

/* For a program that reads its config only through the getters below and
 * starts once a message (scl-score): configs loaded from now on (on) are
 * checked as before, unknown keys and missing required ones included, but
 * a key the file does not set gets its default when a getter first reads
 * it, not at load; at load that was most of a short run's config work.
 * The tree then lacks the defaults nobody read (json_object_get and
 * iteration do not see them; conf_dump fills them all in), and a getter
 * may add to it: not for a config read by several threads at once. */
void conf_lazy_defaults(bool on);

/* The section object (defaults filled in); never NULL for a section
 * given to conf_load. Borrowed: lives as long as c. */
json_t *conf_section(const struct conf *c, const char *name);

/* Getters on a node (a section, a member of a LIST or MAP). path is a
 * dotted key path inside node. A key that is absent and has no default
 * gives NULL / 0 / false; asking for a path of the wrong type is a bug
 * (msg_panic). Strings are borrowed from the tree. */
const char *conf_str(const json_t *node, const char *path);
long long conf_int(const json_t *node, const char *path);	/* INT, DURATION (ms), SIZE */
bool conf_bool(const json_t *node, const char *path);
json_t *conf_get(const json_t *node, const char *path);	/* borrowed, or NULL */
/* Number of strings in a STRINGS key, and the i-th. */
size_t conf_strings_len(const json_t *node, const char *path);
const char *conf_strings_at(const json_t *node, const char *path, size_t i);

/* Writes the config with defaults, secrets masked, as JSON (for -n -v). */
void conf_dump(const struct conf *c, FILE *fp);
/* Writes an mdoc description of the sections' keys (CONFIGURATION
 * sections of the man pages and postern.json(5)). */
void conf_doc_mdoc(FILE *fp, const struct conf_section *const *sections);

/* The shared "log" section: level, format, target. */
extern const struct conf_section log_conf_section;

/* Parsing helpers also used on the command line. Return 0 or -1. */
int conf_parse_duration(const char *s, long long *ms);
int conf_parse_size(const char *s, long long *bytes);

#endif
