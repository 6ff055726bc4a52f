/* Diagnostics to stderr, syslog or JSON lines (see msg.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/exitcodes.h"
#include "util/msg.h"

#define MSG_LINE_MAX 4096
#define MSG_CONTEXT_MAX 8
#define MSG_HOLD_MAX 65536	/* held bytes before a flush of their own */

static const char *progname = "postern";
static enum msg_target target = MSG_STDERR;
static enum msg_format format = MSG_TEXT;
static enum msg_level level = MSG_INFO;
static int syslog_open;
/* What belongs to a session rather than the process: its context fields
 * and its held lines. A process has one; each fiber has its own, made
 * current while it runs (msg_state_use), so that sessions served by turns
 * in one process never log with each other's fields or flush each other's
 * lines. */
struct msg_state {
	int holding;		/* msg_hold: stderr lines kept in held */
	char *held;
	size_t held_len, held_cap;
	struct {
		char key[32];
		char value[128];
	} context[MSG_CONTEXT_MAX];
	/* The fields as a text line ends with them, " key=value" each,
	 * made once after a change (msg_context) rather than for each line:
	 * field i is rendered[at[i]] to rendered[at[i + 1]]. */
	int rendered_ok;
	char rendered[1024];
	unsigned short at[MSG_CONTEXT_MAX + 1];
};
static struct msg_state own;
static struct msg_state *cur = &own;

static const char *level_names[] = { "debug", "info", "warning", "error", "fatal", "panic" };
static const int syslog_prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT };

void msg_setup(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

const char *msg_progname(void)
{
	return progname;
}

void msg_set_target(enum msg_target t)
{
	target = t;
	if (t == MSG_SYSLOG && !syslog_open) {
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
		syslog_open = 1;
	}
}

void msg_set_format(enum msg_format f)
{
	format = f;
}

void msg_set_level(enum msg_level l)
{
	level = l;
}

int msg_verbose(void)
{
	return level <= MSG_DEBUG;
}

int msg_enabled(enum msg_level l)
{
	return l >= level;
}

void msg_context(const char *key, const char *value)
{
	int freeslot = -1;

	cur->rendered_ok = 0;
	for (int i = 0; i < MSG_CONTEXT_MAX; i++) {
		if (cur->context[i].key[0] && strcmp(cur->context[i].key, key) == 0) {
			if (value)
				snprintf(cur->context[i].value, sizeof(cur->context[i].value), "%s", value);
			else
				cur->context[i].key[0] = 0;
			return;
		}
		if (!cur->context[i].key[0] && freeslot < 0)
			freeslot = i;
	}
	if (value && freeslot >= 0) {
		snprintf(cur->context[freeslot].key, sizeof(cur->context[freeslot].key), "%s", key);
		snprintf(cur->context[freeslot].value, sizeof(cur->context[freeslot].value), "%s", value);
	}
}

struct msg_state *msg_state_new(void)
{
	struct msg_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		msg_fatal(EX_OSERR, "out of memory");
	return st;
}

void msg_state_free(struct msg_state *st)
{
	struct msg_state *was;

	if (st == NULL)
		return;
	was = msg_state_use(st);
	msg_flush();
	msg_state_use(was == st ? NULL : was);
	free(st->held);
	free(st);
}

struct msg_state *msg_state_use(struct msg_state *st)
{
	struct msg_state *was = cur == &own ? NULL : cur;

	cur = st ? st : &own;
	return was;
}

void msg_context_reset(void)
{
	cur->rendered_ok = 0;
	for (int i = 0; i < MSG_CONTEXT_MAX; i++)
		cur->context[i].key[0] = 0;
}

static int needs_quote(const char *s)
{
	if (*s == 0)
		return 1;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '=' || *s == '\\' ||
		    (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

static size_t quote_into(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	if (cap < 3)
		return 0;
	out[n++] = '"';
	for (; *s && n + 6 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else if (c < ' ' || c == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '"';
	out[n] = 0;
	return n;
}

const char *msg_q(const char *s)
{
	static char ring[8][512];
	static unsigned slot;
	char *out = ring[slot++ % 8];

	if (s == NULL)
		s = "";
	if (!needs_quote(s)) {
		size_t n = strnlen(s, 511);

		memcpy(out, s, n);
		out[n] = 0;
		return out;
	}
	quote_into(out, 512, s);
	return out;
}

/* Control characters from outside (a hostile EHLO name, say) must not
 * forge a second log line. */
static void scrub(char *s, size_t len)
{
	size_t i = 0;

	/* eight bytes a step while none is below a blank */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) != 0)
			break;
	}
	for (; i < len; i++)
		if ((unsigned char)s[i] < ' ' && s[i] != '\t')
			s[i] = '?';
}

/* Where the trailing key=value fields of text begin: after the last
 * position such that every following word is a logfmt pair. */
static char *fields_start(char *text)
{
	char *p = text + strlen(text), *start = p;

	for (;;) {
		char *w = p, *eq;
		int inq = 0;

		/* Walk back over one word, allowing a quoted value. */
		while (w > text) {
			char c = w[-1];

			if (c == '"' && (w - 1 == text || w[-2] != '\\'))
				inq = !inq;
			if (c == ' ' && !inq)
				break;
			w--;
		}
		if (inq || w == p)
			return start;
		eq = memchr(w, '=', (size_t)(p - w));
		if (eq == NULL || eq == w)
			return start;
		for (char *k = w; k < eq; k++)
			if (!(*k == '_' || *k == '-' || *k == '.' || (*k >= 'a' && *k <= 'z') ||
			      (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
				return start;
		if (w == text)
			return start;	/* keep at least the message text */
		start = w;
		p = w - 1;
	}
}

/* The length of the trailing field at f (fields_start): up to a blank
 * outside quotes. */
static size_t field_len(const char *f)
{
	const char *w = f;
	int inq = 0;

	for (; *f && (inq || *f != ' '); f++)
		if (*f == '"' && (f == w || f[-1] != '\\'))
			inq = !inq;
	return (size_t)(f - w);
}

static void json_str(FILE *fp, const char *s, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < ' ')
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* One field "k=v" or k="v w" to JSON ,"k":"v". */
static void json_field(FILE *fp, const char *w, size_t n)
{
	const char *eq = memchr(w, '=', n);
	const char *v = eq + 1;
	size_t vn = n - (size_t)(v - w);
	char buf[MSG_LINE_MAX];
	size_t o = 0;

	fputc(',', fp);
	json_str(fp, w, (size_t)(eq - w));
	fputc(':', fp);
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
		for (size_t i = 1; i + 1 < vn && o + 1 < sizeof(buf); i++) {
			if (v[i] == '\\' && i + 2 < vn) {
				i++;
				buf[o++] = v[i] == 'n' ? '\n' : v[i];
			} else {
				buf[o++] = v[i];
			}
		}
		json_str(fp, buf, o);
	} else {
		json_str(fp, v, vn);
	}
}

static void emit_json(FILE *fp, enum msg_level l, char *text, const char mine[MSG_CONTEXT_MAX])
{
	char *f = fields_start(text), *end;
	char stamp[40];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	end = f;
	while (end > text && end[-1] == ' ')
		end--;
	fprintf(fp, "{\"time\":\"%s\",\"prog\":", stamp);
	json_str(fp, progname, strlen(progname));
	fprintf(fp, ",\"pid\":%ld,\"level\":\"%s\",\"msg\":", (long)getpid(), level_names[l]);
	json_str(fp, text, (size_t)(end - text));
	for (int i = 0; i < MSG_CONTEXT_MAX; i++)
		if (cur->context[i].key[0] && !mine[i]) {
			fputc(',', fp);
			json_str(fp, cur->context[i].key, strlen(cur->context[i].key));
			fputc(':', fp);
			json_str(fp, cur->context[i].value, strlen(cur->context[i].value));
		}
	while (*f) {
		size_t n = field_len(f);

		json_field(fp, f, n);
		f += n;
		while (*f == ' ')
			f++;
	}
	fputs("}\n", fp);
	fflush(fp);
}

static void write_all(const char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(STDERR_FILENO, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* nowhere to say it: the lines are lost */
		off += (size_t)n;
	}
}

void msg_flush(void)
{
	write_all(cur->held, cur->held_len);
	cur->held_len = 0;
}

static void hold_add(const char *line, size_t n)
{
	if (cur->held_len + n > MSG_HOLD_MAX)
		msg_flush();
	if (cur->held_len + n > cur->held_cap) {
		size_t cap = cur->held_cap ? cur->held_cap : 4096;
		char *p;

		while (cap < cur->held_len + n)
			cap *= 2;
		if ((p = realloc(cur->held, cap)) == NULL) {
			/* no memory for it: out at once, unbatched */
			msg_flush();
			write_all(line, n);
			return;
		}
		cur->held = p;
		cur->held_cap = cap;
	}
	memcpy(cur->held + cur->held_len, line, n);
	cur->held_len += n;
}

void msg_hold(int on)
{
	static int registered;

	if (on && !registered) {
		/* an exit() with lines held still writes them */
		atexit(msg_flush);
		registered = 1;
	}
	if (!on)
		msg_flush();
	cur->holding = on;
}

/* The context fields rendered, " key=value" each, once after a change. */
static void render(void)
{
	struct msg_state *st = cur;
	size_t n = 0, cap = sizeof(st->rendered);

	for (int i = 0; i < MSG_CONTEXT_MAX; i++) {
		st->at[i] = (unsigned short)n;
		if (st->context[i].key[0] && n + 1 < cap) {
			n += (size_t)snprintf(st->rendered + n, cap - n, " %s=%s", st->context[i].key,
					      msg_q(st->context[i].value));
			if (n >= cap)
				n = cap - 1;
		}
	}
	st->at[MSG_CONTEXT_MAX] = (unsigned short)n;
	st->rendered[n] = 0;
	st->rendered_ok = 1;
}

/* Marks in mine[] the context fields that the line's own trailing
 * fields name (a decision's client=, say), so that a line gives each key
 * once; the same fields JSON gives as keys (fields_start). */
static void carried(char *text, char mine[MSG_CONTEXT_MAX])
{
	memset(mine, 0, MSG_CONTEXT_MAX);
	for (char *f = fields_start(text); *f;) {
		size_t n = field_len(f), kl = (size_t)((char *)memchr(f, '=', n) - f);

		for (int c = 0; c < MSG_CONTEXT_MAX; c++) {
			const char *key = cur->context[c].key;

			if (key[0] == f[0] && strncmp(key, f, kl) == 0 && key[kl] == 0)
				mine[c] = 1;
		}
		f += n;
		while (*f == ' ')
			f++;
	}
}

/* The context fields the line does not carry itself, into ctx (cap
 * bytes, NUL-terminated); their length. */
static size_t context_for(const char mine[MSG_CONTEXT_MAX], char *ctx, size_t cap)
{
	const struct msg_state *st = cur;
	size_t n = 0;

	for (int i = 0; i < MSG_CONTEXT_MAX; i++) {
		size_t len = (size_t)(st->at[i + 1] - st->at[i]);

		if (mine[i] || len == 0)
			continue;
		if (len > cap - 1 - n)
			len = cap - 1 - n;
		memcpy(ctx + n, st->rendered + st->at[i], len);
		n += len;
	}
	ctx[n] = 0;
	return n;
}

static size_t put(char *b, size_t n, size_t cap, const char *s, size_t len)
{
	if (len > cap - n)
		len = cap - n;
	memcpy(b + n, s, len);
	return n + len;
}

/* The text line: "prog: [level: ]text fields\n", the newline kept when
 * the line is cut. Its length. */
static size_t line_make(char *line, size_t cap, enum msg_level l, const char *text, size_t tlen,
			const char *ctx, size_t clen)
{
	size_t n = put(line, 0, cap, progname, strlen(progname));

	n = put(line, n, cap, ": ", 2);
	if (l != MSG_INFO) {
		n = put(line, n, cap, level_names[l], strlen(level_names[l]));
		n = put(line, n, cap, ": ", 2);
	}
	n = put(line, n, cap, text, tlen);
	n = put(line, n, cap, ctx, clen);
	if (n == cap)
		n--;
	line[n++] = '\n';
	return n;
}

/* A held JSON line, made in memory. */
static void hold_json(enum msg_level l, char *text, const char mine[MSG_CONTEXT_MAX])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return;
	emit_json(fp, l, text, mine);
	fclose(fp);
	hold_add(buf, len);
	free(buf);
}

/* A line costs one vsnprintf: the context fields are rendered once per
 * change (render) and copied, the line put together by hand. */
void msg_vlog(enum msg_level l, const char *fmt, va_list ap)
{
	char text[MSG_LINE_MAX], ctx[1024], line[MSG_LINE_MAX + 1024 + 64], mine[MSG_CONTEXT_MAX];
	size_t tlen, clen;
	int saved = errno, n;

	if (l < level)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	tlen = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	text[tlen] = 0;
	scrub(text, tlen);
	if (!cur->rendered_ok)
		render();
	carried(text, mine);
	if (format == MSG_JSON && target == MSG_STDERR) {
		if (cur->holding && l < MSG_FATAL) {
			hold_json(l, text, mine);
		} else {
			msg_flush();	/* what was held comes first */
			emit_json(stderr, l, text, mine);
		}
		errno = saved;
		return;
	}
	clen = context_for(mine, ctx, sizeof(ctx));
	if (target == MSG_SYSLOG) {
		msg_flush();
		if (l == MSG_INFO || l == MSG_DEBUG)
			syslog(syslog_prio[l], "%s%s", text, ctx);
		else
			syslog(syslog_prio[l], "%s: %s%s", level_names[l], text, ctx);
		errno = saved;
		return;
	}
	n = (int)line_make(line, sizeof(line), l, text, tlen, ctx, clen);
	if (cur->holding && l < MSG_FATAL) {
		hold_add(line, (size_t)n);
	} else {
		msg_flush();	/* what was held comes first */
		write_all(line, (size_t)n);
	}
	errno = saved;
}

#define MSG_FN(fn, lvl)					\
	void fn(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		va_start(ap, fmt);			\
		msg_vlog(lvl, fmt, ap);			\
		va_end(ap);				\
	}
MSG_FN(msg_debug, MSG_DEBUG)
MSG_FN(msg_info, MSG_INFO)
MSG_FN(msg_warn, MSG_WARN)
MSG_FN(msg_error, MSG_ERROR)

void msg_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(MSG_FATAL, fmt, ap);
	va_end(ap);
	exit(code);
}

void msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(MSG_PANIC, fmt, ap);
	va_end(ap);
	abort();
}
