/* The table-driven JSON config loader (see conf.h). Checking and filling
 * defaults happen in one walk over the tree; errors are all reported, each
 * naming the file, the key path and what was expected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

#define CONF_PATH_MAX 4096
#define CONF_STRING_MAX 65536
#define CONF_DEPTH_MAX 16

struct conf {
	char *path;
	json_t *root;
	const struct conf_section *const *sections;
};

struct walk {
	const char *file;
	FILE *err;
	int errors;
	const json_t *root;	/* the tree being checked (lazy defaults) */
};

/* Lazy defaults (conf_lazy_defaults): every checked object of a loaded
 * tree with its key table, so that a getter can build a key's default
 * the first time it is read, and the defaults built so far (made, kept
 * beside the tree, which stays as the file had it: conf_dump then lists
 * the file's keys and the defaults after them, as when filled at load).
 * Dropped with the tree (conf_free). */
struct lazy_obj {
	const json_t *obj;
	const struct conf_key *keys;
	const json_t *root;
	json_t *made;		/* owned; NULL until a default is built */
};
static bool lazy;
static struct lazy_obj *lazy_objs;
static size_t lazy_n, lazy_alloc;

/* Sections that belong to other programs, or shared sections a program
 * does not use: accepted as they are, checked by their owner. */
static const char *const known_sections[] = {
	"log", "directory", "dns", "tls",
	"certsel", "mtls-probe", "smtp-edge", "scl-score", "smime-sign",
	"autodiscover-gen", "eas-policy", "owa-cas", "um-sipd", "postern-testd",
	"http", NULL
};

static const char *type_names[] = {
	[CONF_STRING] = "a string", [CONF_PATH] = "a path", [CONF_INT] = "an integer",
	[CONF_BOOL] = "true or false", [CONF_ENUM] = "one of",
	[CONF_DURATION] = "a duration such as \"30s\", \"5m\" or seconds",
	[CONF_SIZE] = "a size such as \"64k\", \"10M\" or bytes",
	[CONF_STRINGS] = "a list of strings", [CONF_OBJECT] = "an object",
	[CONF_LIST] = "a list of objects", [CONF_MAP] = "an object of named objects",
	[CONF_INCLUDE] = "",
};

static void conf_err(struct walk *w, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void conf_err(struct walk *w, const char *path, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->err == NULL)
		return;
	fprintf(w->err, "%s: %s: ", w->file, *path ? path : "(top level)");
	va_start(ap, fmt);
	vfprintf(w->err, fmt, ap);
	va_end(ap);
	fputc('\n', w->err);
}

/* The decimal number s starts with (1 to 18 digits, no sign or blank)
 * in *n and *end just past it; -1 for anything else. By hand, not
 * strtoll: a process per message that reads a few number defaults
 * (scl-score) would fault in two more pages of the C library for it,
 * its code and the locale's character table. */
static int digits(const char *s, const char **end, long long *n)
{
	long long v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*end = s + i;
	*n = v;
	return 0;
}

int conf_parse_duration(const char *s, long long *ms)
{
	const char *end;
	long long n, mult;

	if (digits(s, &end, &n) < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (*end == 0 || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		mult = 86400 * 1000;
	else
		return -1;
	if (n > (long long)(9e15 / (double)mult))
		return -1;
	*ms = n * mult;
	return 0;
}

int conf_parse_size(const char *s, long long *bytes)
{
	const char *end;
	long long n, mult = 1;

	if (digits(s, &end, &n) < 0)
		return -1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mult = 1024LL; end++; break;
	case 'M': mult = 1024LL * 1024; end++; break;
	case 'G': mult = 1024LL * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'B')
		end++;
	if (*end || n > (long long)(9e15 / (double)mult))
		return -1;
	*bytes = n * mult;
	return 0;
}

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		p += len + (bar ? 1 : 0);
	}
	return 0;
}

/* Finds name among keys, looking through INCLUDEs. */
static const struct conf_key *key_find(const struct conf_key *keys, const char *name)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		if (k->type == CONF_INCLUDE) {
			const struct conf_key *f = key_find(k->sub, name);

			if (f)
				return f;
		} else if (strcmp(k->name, name) == 0) {
			return k;
		}
	}
	return NULL;
}

static void key_names(struct strbuf *sb, const struct conf_key *keys)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		if (k->type == CONF_INCLUDE) {
			key_names(sb, k->sub);
			continue;
		}
		if (sb->len)
			strbuf_addstr(sb, ", ");
		strbuf_addstr(sb, k->name);
	}
}

static void check_object(struct walk *w, json_t *obj, const struct conf_key *keys,
			 const char *path, int depth);

/* "path.name": made for every key at every start, so by hand, not
 * through vasprintf (14% of a short-lived program's instructions). */
static char *join(const char *path, const char *name)
{
	size_t pl = strlen(path), nl = strlen(name);
	char *p = xmalloc(pl + nl + 2), *q = p;

	if (pl) {
		memcpy(q, path, pl);
		q += pl;
		*q++ = '.';
	}
	memcpy(q, name, nl + 1);
	return p;
}

static void check_range(struct walk *w, const struct conf_key *k, long long v,
			const char *path)
{
	if (k->min < k->max && (v < k->min || v > k->max))
		conf_err(w, path, "%lld is out of range (expected %lld to %lld%s)", v, k->min,
			 k->max, k->type == CONF_DURATION ? " milliseconds" :
			 k->type == CONF_SIZE ? " bytes" : "");
}

/* Checks one value; returns a replacement (normalised) value or NULL to
 * keep it. The replacement is a new reference. */
static json_t *check_value(struct walk *w, const struct conf_key *k, json_t *v,
			   const char *path, int depth)
{
	long long n;

	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		if (!json_is_string(v))
			conf_err(w, path, "expected %s", type_names[k->type]);
		else if (json_string_length(v) > (k->type == CONF_PATH ? CONF_PATH_MAX : CONF_STRING_MAX))
			conf_err(w, path, "value is too long");
		else if (strlen(json_string_value(v)) != json_string_length(v))
			conf_err(w, path, "value holds a NUL character");
		return NULL;
	case CONF_INT:
		if (!json_is_integer(v))
			conf_err(w, path, "expected an integer");
		else
			check_range(w, k, json_integer_value(v), path);
		return NULL;
	case CONF_BOOL:
		if (!json_is_boolean(v))
			conf_err(w, path, "expected true or false");
		return NULL;
	case CONF_ENUM:
		if (!json_is_string(v) || !choice_ok(k->choices, json_string_value(v)))
			conf_err(w, path, "expected one of %s", k->choices);
		return NULL;
	case CONF_DURATION:
	case CONF_SIZE:
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			n = json_integer_value(v);
			if (k->type == CONF_DURATION && n > 9000000000000LL) {
				conf_err(w, path, "expected %s", type_names[k->type]);
				return NULL;
			}
			n = k->type == CONF_DURATION ? n * 1000 : n;
		} else if (!json_is_string(v) ||
			   (k->type == CONF_DURATION ? conf_parse_duration(json_string_value(v), &n)
						     : conf_parse_size(json_string_value(v), &n)) < 0) {
			conf_err(w, path, "expected %s", type_names[k->type]);
			return NULL;
		}
		check_range(w, k, n, path);
		return json_integer(n);
	case CONF_STRINGS: {
		size_t i;
		json_t *e;

		if (json_is_string(v)) {
			json_t *a = json_array();

			json_array_append(a, v);
			return a;
		}
		if (!json_is_array(v)) {
			conf_err(w, path, "expected a list of strings");
			return NULL;
		}
		json_array_foreach(v, i, e)
			if (!json_is_string(e)) {
				char *p = xasprintf("%s[%zu]", path, i);

				conf_err(w, p, "expected a string");
				free(p);
			}
		return NULL;
	}
	case CONF_OBJECT:
		check_object(w, v, k->sub, path, depth + 1);
		return NULL;
	case CONF_LIST: {
		size_t i;
		json_t *e;

		if (!json_is_array(v)) {
			conf_err(w, path, "expected a list of objects");
			return NULL;
		}
		json_array_foreach(v, i, e) {
			char *p = xasprintf("%s[%zu]", path, i);

			check_object(w, e, k->sub, p, depth + 1);
			free(p);
		}
		return NULL;
	}
	case CONF_MAP: {
		const char *name;
		json_t *e;

		if (!json_is_object(v)) {
			conf_err(w, path, "expected an object of named objects");
			return NULL;
		}
		json_object_foreach(v, name, e) {
			char *p = join(path, name);

			check_object(w, e, k->sub, p, depth + 1);
			free(p);
		}
		return NULL;
	}
	case CONF_INCLUDE:
		break;
	}
	msg_panic("conf: key %s has no type", k->name);
}

/* A key's default as a JSON value. Every program start fills in dozens
 * of them, and json_loads (a lexer, its buffers) for "true" or "30s"
 * was 15% of a short-lived program's instructions (scl-score's check):
 * the shapes the tables use (true, false, [], {}, an integer, a string
 * without escapes) are built directly; anything else is parsed. */
static json_t *default_value(const char *def)
{
	size_t n = strlen(def);
	json_error_t je;
	const char *p, *end;
	long long v;

	if (strcmp(def, "true") == 0)
		return json_true();
	if (strcmp(def, "false") == 0)
		return json_false();
	if (strcmp(def, "[]") == 0)
		return json_array();
	if (strcmp(def, "{}") == 0)
		return json_object();
	if (n >= 2 && def[0] == '"' && def[n - 1] == '"' &&
	    !memchr(def + 1, '"', n - 2) && !memchr(def + 1, '\\', n - 2))
		return json_stringn(def + 1, n - 2);
	p = def + (def[0] == '-');
	if (digits(p, &end, &v) == 0 && *end == 0 && (p[0] != '0' || p[1] == 0))
		return json_integer(def[0] == '-' ? -v : v);	/* JSON: no leading 0 */
	return json_loads(def, JSON_DECODE_ANY, &je);
}

static void fill_defaults(struct walk *w, json_t *obj, const struct conf_key *keys,
			  const char *path, int depth)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		char *p;
		json_t *v;

		if (k->type == CONF_INCLUDE) {
			fill_defaults(w, obj, k->sub, path, depth);
			continue;
		}
		if (json_object_get(obj, k->name))
			continue;
		p = join(path, k->name);
		if (k->flags & CONF_REQUIRED) {
			conf_err(w, p, "missing (expected %s)", type_names[k->type]);
		} else if (k->def) {
			v = default_value(k->def);
			if (v == NULL)
				msg_panic("conf: bad default for %s: %s", p, k->def);
			json_object_set_new(obj, k->name, v);
			json_t *r = check_value(w, k, v, p, depth);

			if (r)
				json_object_set_new(obj, k->name, r);
		} else if (k->type == CONF_OBJECT) {
			v = json_object();
			json_object_set_new(obj, k->name, v);
			check_object(w, v, k->sub, p, depth + 1);
		}
		free(p);
	}
}

void conf_lazy_defaults(bool on)
{
	lazy = on;
}

static void lazy_register(struct walk *w, const json_t *obj, const struct conf_key *keys)
{
	if (lazy_n == lazy_alloc)
		xgrow((void **)&lazy_objs, &lazy_alloc, lazy_n + 1, sizeof(*lazy_objs));
	lazy_objs[lazy_n++] = (struct lazy_obj){ obj, keys, w->root, NULL };
}

static void lazy_drop(const json_t *root)
{
	size_t j = 0;

	for (size_t i = 0; i < lazy_n; i++)
		if (lazy_objs[i].root != root)
			lazy_objs[j++] = lazy_objs[i];
		else
			json_decref(lazy_objs[i].made);
	lazy_n = j;
	if (lazy_n == 0) {
		free(lazy_objs);
		lazy_objs = NULL;
		lazy_alloc = 0;
	}
}

/* What fill_defaults reports without filling anything in: a required
 * key that is missing, here or in an object it would have made. */
static void check_required(struct walk *w, const json_t *obj, const struct conf_key *keys,
			   const char *path)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		char *p;

		if (k->type == CONF_INCLUDE) {
			check_required(w, obj, k->sub, path);
			continue;
		}
		if (obj && json_object_get(obj, k->name))
			continue;
		if (k->flags & CONF_REQUIRED) {
			p = join(path, k->name);
			conf_err(w, p, "missing (expected %s)", type_names[k->type]);
			free(p);
		} else if (!k->def && k->type == CONF_OBJECT) {
			p = join(path, k->name);
			check_required(w, NULL, k->sub, p);
			free(p);
		}
	}
}

/* The index of obj's entry, or -1 (an index: building a default may
 * register objects and move the array). */
static long lazy_find(const json_t *obj)
{
	for (size_t i = lazy_n; i-- > 0;)
		if (lazy_objs[i].obj == obj)
			return (long)i;
	return -1;
}

/* name is missing from obj: its default, built the first time and kept
 * (borrowed, like the tree's values), or NULL when obj is not a checked
 * object, name not one of its keys, or the key has no default. */
static json_t *lazy_default(const json_t *obj, const char *name)
{
	long i = lazy_find(obj);
	const struct conf_key *k;
	struct walk w = { name, NULL, 0, NULL };
	json_t *v, *r;

	if (i < 0 || (k = key_find(lazy_objs[i].keys, name)) == NULL)
		return NULL;
	if (lazy_objs[i].made && (v = json_object_get(lazy_objs[i].made, name)) != NULL)
		return v;
	w.root = lazy_objs[i].root;
	if (k->def) {
		if ((v = default_value(k->def)) == NULL)
			msg_panic("conf: bad default for %s: %s", name, k->def);
		if ((r = check_value(&w, k, v, name, 0)) != NULL) {
			json_decref(v);
			v = r;
		}
	} else if (k->type == CONF_OBJECT) {
		v = json_object();
		check_object(&w, v, k->sub, name, 1);
	} else {
		return NULL;
	}
	if (w.errors)
		msg_panic("conf: bad default for %s", name);
	if (lazy_objs[i].made == NULL)
		lazy_objs[i].made = json_object();
	json_object_set_new(lazy_objs[i].made, name, v);
	return v;
}

/* For conf_dump: copy (a copy of obj) gets every default it lacks, after
 * the keys it has and in the table's order, as filling them in at load
 * would have placed them. */
static void dump_defaults(json_t *copy, const json_t *obj, const struct conf_key *keys)
{
	if (!json_is_object(copy) || !json_is_object(obj))
		return;
	for (const struct conf_key *k = keys; k->name; k++) {
		json_t *c = json_object_get(copy, k->name), *v;

		if (k->type == CONF_INCLUDE) {
			dump_defaults(copy, obj, k->sub);
			continue;
		}
		if ((v = json_object_get(obj, k->name)) == NULL && (v = lazy_default(obj, k->name)))
			json_object_set_new(copy, k->name, c = json_deep_copy(v));
		if (v == NULL || c == NULL)
			continue;
		if (k->type == CONF_OBJECT) {
			dump_defaults(c, v, k->sub);
		} else if (k->type == CONF_LIST) {
			for (size_t i = 0; i < json_array_size(v); i++)
				dump_defaults(json_array_get(c, i), json_array_get(v, i), k->sub);
		} else if (k->type == CONF_MAP) {
			const char *n;
			json_t *e;

			json_object_foreach(v, n, e)
				dump_defaults(json_object_get(c, n), e, k->sub);
		}
	}
}

static void check_object(struct walk *w, json_t *obj, const struct conf_key *keys,
			 const char *path, int depth)
{
	const char *name;
	json_t *v;
	void *tmp;

	if (!json_is_object(obj)) {
		conf_err(w, path, "expected an object");
		return;
	}
	if (depth > CONF_DEPTH_MAX) {
		conf_err(w, path, "nested too deeply");
		return;
	}
	json_object_foreach_safe(obj, tmp, name, v) {
		const struct conf_key *k = key_find(keys, name);
		char *p = join(path, name);

		if (k == NULL) {
			struct strbuf sb = STRBUF_INIT;

			key_names(&sb, keys);
			conf_err(w, p, "unknown key (expected one of: %s)", sb.len ? sb.buf : "none");
			strbuf_release(&sb);
		} else {
			json_t *r = check_value(w, k, v, p, depth);

			if (r)
				json_object_set_new(obj, name, r);
		}
		free(p);
	}
	if (lazy) {
		lazy_register(w, obj, keys);
		check_required(w, obj, keys, path);
	} else {
		fill_defaults(w, obj, keys, path, depth);
	}
}

static const struct conf_section *section_find(const struct conf_section *const *s,
					       const char *name)
{
	for (; s && *s; s++)
		if (strcmp((*s)->name, name) == 0)
			return *s;
	return NULL;
}

static int known_section(const char *name)
{
	for (const char *const *k = known_sections; *k; k++)
		if (strcmp(*k, name) == 0)
			return 1;
	return 0;
}

static int check_root(struct walk *w, json_t *root, const struct conf_section *const *sections)
{
	const char *name;
	json_t *v;

	if (!json_is_object(root)) {
		conf_err(w, "", "expected an object of sections");
		return -1;
	}
	json_object_foreach(root, name, v) {
		const struct conf_section *s = section_find(sections, name);

		if (s) {
			check_object(w, v, s->keys, name, 0);
		} else if (!known_section(name)) {
			struct strbuf sb = STRBUF_INIT;

			for (const char *const *k = known_sections; *k; k++)
				strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", *k);
			conf_err(w, name, "unknown section (expected one of: %s)", sb.buf);
			strbuf_release(&sb);
		}
	}
	for (const struct conf_section *const *s = sections; s && *s; s++)
		if (!json_object_get(root, (*s)->name)) {
			json_t *o = json_object();

			json_object_set_new(root, (*s)->name, o);
			check_object(w, o, (*s)->keys, (*s)->name, 0);
		}
	return w->errors ? -1 : 0;
}

struct conf *conf_load_string(const char *text, size_t len, const char *name,
			      const struct conf_section *const *sections, FILE *err)
{
	struct walk w = { name, err, 0, NULL };
	json_error_t je;
	json_t *root;
	struct conf *c;

	if (len > CONF_MAX_BYTES) {
		conf_err(&w, "", "file is larger than %d bytes", CONF_MAX_BYTES);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (err)
			fprintf(err, "%s:%d:%d: invalid JSON: %s\n", name, je.line, je.column, je.text);
		return NULL;
	}
	w.root = root;
	if (check_root(&w, root, sections) < 0) {
		lazy_drop(root);
		json_decref(root);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(name);
	c->root = root;
	c->sections = sections;
	return c;
}

struct conf *conf_load(const char *path, const struct conf_section *const *sections,
		       bool missing_ok, FILE *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct conf *c;
	int explicit = path != NULL;

	if (path == NULL && (path = getenv("POSTERN_CONFIG")) != NULL && *path)
		explicit = 1;
	if (path == NULL || *path == 0)
		path = CONF_DEFAULT_PATH;
	if (strbuf_read_file(&sb, path, CONF_MAX_BYTES) < 0) {
		if (errno == ENOENT && missing_ok && !explicit) {
			strbuf_release(&sb);
			return conf_load_string("{}", 2, path, sections, err);
		}
		if (err)
			fprintf(err, "cannot read config '%s': %s\n", path,
				errno == EFBIG ? "file too large" : strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	c = conf_load_string(sb.buf, sb.len, path, sections, err);
	strbuf_release(&sb);
	return c;
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	lazy_drop(c->root);
	json_decref(c->root);
	free(c->path);
	free(c);
}

const char *conf_path(const struct conf *c)
{
	return c->path;
}

json_t *conf_section(const struct conf *c, const char *name)
{
	json_t *s = json_object_get(c->root, name);

	if (s == NULL)
		msg_panic("conf: section '%s' was not registered", name);
	return s;
}

/* The value at path. With lazy defaults an object missing on the way is
 * made with its defaults; a missing last key is made too, unless dk is
 * given: then NULL is returned with *dk set to the key when it has a
 * default, which a getter of a number, a boolean or a list may read from
 * the table without building a JSON value. */
static json_t *lookup(const json_t *node, const char *path, const struct conf_key **dk)
{
	char part[256];
	const char *p = path;
	json_t *cur = (json_t *)node;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		long l;
		json_t *next;

		if (n >= sizeof(part) || !json_is_object(cur))
			return NULL;
		memcpy(part, p, n);
		part[n] = 0;
		next = json_object_get(cur, part);
		if (next == NULL && lazy_n) {
			if (dot == NULL && dk && (l = lazy_find(cur)) >= 0) {
				*dk = key_find(lazy_objs[l].keys, part);
				if (*dk && (*dk)->def)
					return NULL;
			}
			next = lazy_default(cur, part);
		}
		cur = next;
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

json_t *conf_get(const json_t *node, const char *path)
{
	return lookup(node, path, NULL);
}

/* An INT, DURATION or SIZE default read from its text as check_value
 * would have stored it; false for a shape it does not take (the caller
 * then builds the value). */
static bool default_number(const struct conf_key *k, long long *n)
{
	const char *d = k->def;
	size_t len = strlen(d);
	char buf[32];
	int bad;

	if (k->type != CONF_INT && k->type != CONF_DURATION && k->type != CONF_SIZE)
		return false;
	if (d[0] != '"') {
		const char *end;
		long long v;

		if (digits(d + (d[0] == '-'), &end, &v) < 0 || *end)
			return false;
		*n = (d[0] == '-' ? -v : v) * (k->type == CONF_DURATION ? 1000 : 1);
		bad = k->type != CONF_INT && *n < 0;
	} else {
		if (k->type == CONF_INT || len < 3 || len - 2 >= sizeof(buf) || d[len - 1] != '"')
			return false;
		memcpy(buf, d + 1, len - 2);
		buf[len - 2] = 0;
		bad = (k->type == CONF_DURATION ? conf_parse_duration(buf, n)
						: conf_parse_size(buf, n)) < 0;
	}
	if (bad || (k->min < k->max && (*n < k->min || *n > k->max)))
		msg_panic("conf: bad default for %s: %s", k->name, d);
	return true;
}

const char *conf_str(const json_t *node, const char *path)
{
	json_t *v = conf_get(node, path);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		msg_panic("conf: %s is not a string", path);
	return json_string_value(v);
}

long long conf_int(const json_t *node, const char *path)
{
	const struct conf_key *k = NULL;
	json_t *v = lookup(node, path, &k);
	long long n;

	if (v == NULL && k) {
		if (default_number(k, &n))
			return n;
		v = conf_get(node, path);
	}
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		msg_panic("conf: %s is not an integer", path);
	return json_integer_value(v);
}

bool conf_bool(const json_t *node, const char *path)
{
	const struct conf_key *k = NULL;
	json_t *v = lookup(node, path, &k);

	if (v == NULL && k) {
		if (k->type == CONF_BOOL && strcmp(k->def, "true") == 0)
			return true;
		if (k->type == CONF_BOOL && strcmp(k->def, "false") == 0)
			return false;
		v = conf_get(node, path);
	}
	if (v == NULL)
		return false;
	if (!json_is_boolean(v))
		msg_panic("conf: %s is not a boolean", path);
	return json_is_true(v);
}

/* An empty list default: nothing to build. */
static bool default_empty_list(const struct conf_key *k)
{
	return k->type == CONF_STRINGS && strcmp(k->def, "[]") == 0;
}

size_t conf_strings_len(const json_t *node, const char *path)
{
	const struct conf_key *k = NULL;
	json_t *v = lookup(node, path, &k);

	if (v == NULL && k && !default_empty_list(k))
		v = conf_get(node, path);
	return json_is_array(v) ? json_array_size(v) : 0;
}

const char *conf_strings_at(const json_t *node, const char *path, size_t i)
{
	const struct conf_key *k = NULL;
	json_t *v = lookup(node, path, &k);

	if (v == NULL && k && !default_empty_list(k))
		v = conf_get(node, path);
	v = json_is_array(v) ? json_array_get(v, i) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void mask_secrets(json_t *obj, const struct conf_key *keys)
{
	if (!json_is_object(obj))
		return;
	for (const struct conf_key *k = keys; k->name; k++) {
		json_t *v;

		if (k->type == CONF_INCLUDE) {
			mask_secrets(obj, k->sub);
			continue;
		}
		if ((v = json_object_get(obj, k->name)) == NULL)
			continue;
		if (k->flags & CONF_SECRET)
			json_object_set_new(obj, k->name, json_string("(secret)"));
		else if (k->type == CONF_OBJECT)
			mask_secrets(v, k->sub);
		else if (k->type == CONF_LIST) {
			size_t i;
			json_t *e;

			json_array_foreach(v, i, e)
				mask_secrets(e, k->sub);
		} else if (k->type == CONF_MAP) {
			const char *n;
			json_t *e;

			json_object_foreach(v, n, e)
				mask_secrets(e, k->sub);
		}
	}
}

void conf_dump(const struct conf *c, FILE *fp)
{
	json_t *copy = json_object();

	for (const struct conf_section *const *s = c->sections; s && *s; s++) {
		const json_t *orig = json_object_get(c->root, (*s)->name);
		json_t *sec = json_deep_copy(orig);

		dump_defaults(sec, orig, (*s)->keys);

		mask_secrets(sec, (*s)->keys);
		json_object_set_new(copy, (*s)->name, sec);
	}
	json_dumpf(copy, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(copy);
}

/* mdoc escapes: a backslash and a line starting with a dot or quote. */
static void mdoc_text(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else
			fputc(*s, fp);
	}
}

static void doc_keys(FILE *fp, const struct conf_key *keys, const char *prefix)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		char *name;

		if (k->type == CONF_INCLUDE) {
			doc_keys(fp, k->sub, prefix);
			continue;
		}
		name = *prefix ? xasprintf("%s.%s", prefix, k->name) : xstrdup(k->name);
		fprintf(fp, ".It Cm %s Pq %s\n", name,
			k->type == CONF_ENUM ? k->choices :
			k->type == CONF_STRING ? "string" : k->type == CONF_PATH ? "path" :
			k->type == CONF_INT ? "integer" : k->type == CONF_BOOL ? "boolean" :
			k->type == CONF_DURATION ? "duration" : k->type == CONF_SIZE ? "size" :
			k->type == CONF_STRINGS ? "list of strings" : k->type == CONF_OBJECT ? "object" :
			k->type == CONF_LIST ? "list of objects" : "object of named objects");
		mdoc_text(fp, k->doc ? k->doc : "");
		fputc('\n', fp);
		if (k->flags & CONF_REQUIRED)
			fputs("Required.\n", fp);
		else if (k->def && strcmp(k->def, "\"\"") != 0 && strcmp(k->def, "[]") != 0) {
			fputs("Default: ", fp);
			mdoc_text(fp, k->def);
			fputs(".\n", fp);
		}
		if (k->min < k->max && k->type == CONF_INT)
			fprintf(fp, "Range: %lld to %lld.\n", k->min, k->max);
		if (k->type == CONF_OBJECT) {
			doc_keys(fp, k->sub, name);
		} else if (k->type == CONF_LIST || k->type == CONF_MAP) {
			char *sub = xasprintf("%s%s", name, k->type == CONF_LIST ? "[]" : ".NAME");

			doc_keys(fp, k->sub, sub);
			free(sub);
		}
		free(name);
	}
}

void conf_doc_mdoc(FILE *fp, const struct conf_section *const *sections)
{
	for (; *sections; sections++) {
		fprintf(fp, ".Ss %s\n", (*sections)->name);
		if ((*sections)->doc) {
			mdoc_text(fp, (*sections)->doc);
			fputc('\n', fp);
		}
		fputs(".Bl -tag -width Ds\n", fp);
		doc_keys(fp, (*sections)->keys, "");
		fputs(".El\n", fp);
	}
}

static const struct conf_key log_keys[] = {
	{ "level", CONF_ENUM, "\"info\"", 0, 0, "debug|info|warning|error", NULL, 0,
	  "the least important events logged" },
	{ "format", CONF_ENUM, "\"text\"", 0, 0, "text|json", NULL, 0,
	  "text lines with logfmt fields, or JSON lines" },
	{ "target", CONF_ENUM, "\"auto\"", 0, 0, "auto|stderr|syslog", NULL, 0,
	  "auto: stderr when run by hand, syslog (facility mail) as a daemon" },
	{ NULL }
};
const struct conf_section log_conf_section = {
	"log", log_keys, "Diagnostics, shared by every program."
};
