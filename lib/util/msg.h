/* Diagnostics: one line per event, the error first and then its subject,
 * with logfmt key=value fields after the text ("cannot open 'x': reason
 * path=x"). Goes to stderr, to syslog (facility mail), or as JSON lines.
 * Never pass a password, key or cookie to these functions. */
#ifndef POSTERN_UTIL_MSG_H
#define POSTERN_UTIL_MSG_H

#include <stdarg.h>

enum msg_level { MSG_DEBUG, MSG_INFO, MSG_WARN, MSG_ERROR, MSG_FATAL, MSG_PANIC };
enum msg_target { MSG_STDERR, MSG_SYSLOG };
enum msg_format { MSG_TEXT, MSG_JSON };

/* Called once at start; name is kept (not copied). */
void msg_setup(const char *progname);
void msg_set_target(enum msg_target t);
void msg_set_format(enum msg_format f);
/* Events below this level are dropped; -v lowers it to MSG_DEBUG. */
void msg_set_level(enum msg_level l);
int msg_verbose(void);
/* True when events of level l are kept: for a caller whose arguments cost
 * something to compute on a hot path. */
int msg_enabled(enum msg_level l);
const char *msg_progname(void);
/* Adds a field (key=value) printed with every later event, such as a
 * session id; value is copied. NULL value removes the key. */
void msg_context(const char *key, const char *value);
/* Drops every context field: a reused worker calls it before each new
 * session, so no line of one session carries another's fields. */
void msg_context_reset(void);
/* With on, lines to stderr (text or JSON) are kept in memory and written
 * together, one write for several lines, by msg_flush, by msg_hold(0),
 * at exit(), or before a fatal or panic line (never held); off (the
 * default) each line is written at once. For a server that flushes
 * before each reply to its client, so that no line of what the client
 * was told is lost in a crash, and the lines of one reply cost one
 * system call. Syslog lines are never held. A process that forks with
 * lines held must flush first (the child would write them again). */
void msg_hold(int on);
void msg_flush(void);

/* The context fields and held lines as a whole, for code that runs
 * several sessions by turns in one process (lib/net/fiber): each session
 * has a state of its own, made current while it runs. A new state has no
 * fields and holds nothing. msg_state_use makes st current (NULL: the
 * process's own) and returns the one current before (NULL for the
 * process's own). msg_state_free writes what st holds; NULL is fine. */
struct msg_state;
struct msg_state *msg_state_new(void);
void msg_state_free(struct msg_state *st);
struct msg_state *msg_state_use(struct msg_state *st);

/* Text is printf-formatted. Trailing key=value words become fields in JSON
 * output. Quote a value that may hold spaces with msg_q(). */
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits with the given sysexits code. */
void msg_fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* A bug: logs and aborts. */
void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum msg_level l, const char *fmt, va_list ap);

/* A logfmt value: s as is when it has no space, quote or control
 * character, else quoted with escapes. Returns one of eight rotating
 * static buffers (long values are cut), for use in a single msg_ call. */
const char *msg_q(const char *s);

#endif
