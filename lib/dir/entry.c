/* Directory entries: a DN plus attributes with binary-safe values, built
 * by the LDIF parser and the LDAP backend alike. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir/entry.h"
#include "util/mem.h"

struct dir_entry *dir_entry_new(const char *dn)
{
	struct dir_entry *e = xcalloc(1, sizeof(*e));

	e->dn = xstrdup(dn);
	return e;
}

static void attr_release(struct dir_attr *a)
{
	for (size_t i = 0; i < a->nvals; i++)
		free(a->vals[i].data);
	free(a->vals);
	free(a->name);
}

void dir_entry_free(struct dir_entry *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nattrs; i++)
		attr_release(&e->attrs[i]);
	free(e->attrs);
	free(e->dn);
	free(e);
}

static void value_set(struct dir_value *v, const void *data, size_t len)
{
	v->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(v->data, data, len);
	v->data[len] = '\0';
	v->len = len;
}

struct dir_entry *dir_entry_dup(const struct dir_entry *e)
{
	struct dir_entry *c = dir_entry_new(e->dn);

	c->attrs = xcalloc(e->nattrs ? e->nattrs : 1, sizeof(*c->attrs));
	c->nalloc = e->nattrs ? e->nattrs : 1;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct dir_attr *a = &e->attrs[i];
		struct dir_attr *b = &c->attrs[i];

		b->name = xstrdup(a->name);
		b->vals = xcalloc(a->nvals ? a->nvals : 1, sizeof(*b->vals));
		for (size_t j = 0; j < a->nvals; j++)
			value_set(&b->vals[j], a->vals[j].data, a->vals[j].len);
		b->nvals = a->nvals;
	}
	c->nattrs = e->nattrs;
	return c;
}

/* Next token of an attribute description, skipping the "binary" option:
 * it only says how values travel, not which attribute is meant. */
static const char *desc_token(const char *p, size_t *len, int first)
{
	for (;;) {
		const char *end;

		if (*p == ';')
			p++;
		if (*p == '\0')
			return NULL;
		end = strchr(p, ';');
		*len = end ? (size_t)(end - p) : strlen(p);
		if (first || *len != 6 || strncasecmp(p, "binary", 6) != 0)
			return p;
		p += *len;
	}
}

bool dir_attr_match(const char *a, const char *b)
{
	size_t la, lb;
	int first = 1;

	for (;;) {
		a = desc_token(a, &la, first);
		b = desc_token(b, &lb, first);
		first = 0;
		if (a == NULL || b == NULL)
			return a == b;
		if (la != lb || strncasecmp(a, b, la) != 0)
			return false;
		a += la;
		b += lb;
	}
}

const struct dir_attr *dir_entry_attr(const struct dir_entry *e, const char *name)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (dir_attr_match(e->attrs[i].name, name))
			return &e->attrs[i];
	return NULL;
}

void dir_entry_add(struct dir_entry *e, const char *name, const void *data, size_t len)
{
	struct dir_attr *a = (struct dir_attr *)dir_entry_attr(e, name);

	if (a == NULL) {
		xgrow((void **)&e->attrs, &e->nalloc, e->nattrs + 1, sizeof(*e->attrs));
		a = &e->attrs[e->nattrs++];
		memset(a, 0, sizeof(*a));
		a->name = xstrdup(name);
	}
	/* Values are few per attribute; growing one at a time is fine. */
	a->vals = xrealloc(a->vals, (a->nvals + 1) * sizeof(*a->vals));
	value_set(&a->vals[a->nvals++], data, len);
}

size_t dir_entry_get(const struct dir_entry *e, const char *name,
		     const struct dir_value **vals)
{
	const struct dir_attr *a = dir_entry_attr(e, name);

	if (vals != NULL)
		*vals = a ? a->vals : NULL;
	return a ? a->nvals : 0;
}

const char *dir_entry_str(const struct dir_entry *e, const char *name)
{
	const struct dir_value *v;

	if (dir_entry_get(e, name, &v) == 0)
		return NULL;
	if (memchr(v[0].data, '\0', v[0].len) != NULL)
		return NULL;
	return (const char *)v[0].data;
}

size_t dir_entry_nvalues(const struct dir_entry *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nattrs; i++)
		n += e->attrs[i].nvals;
	return n;
}
