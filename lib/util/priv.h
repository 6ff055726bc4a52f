/* Dropping root: after a daemon has bound its sockets and opened what it
 * needs, it becomes the configured user for good. */
#ifndef POSTERN_UTIL_PRIV_H
#define POSTERN_UTIL_PRIV_H

/* When running as root and user is non-empty, switches to that user's
 * uid, gid and groups, then checks root cannot be regained. Returns 0,
 * or -1 with a message already logged. As non-root it does nothing. */
int priv_drop(const char *user);

#endif
