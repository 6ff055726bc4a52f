/* The signals a standalone server acts on (SIGCHLD, SIGHUP, SIGTERM,
 * SIGINT) turned into bytes on a pipe (the self-pipe trick), so that its
 * poll or epoll loop sees them as a readable descriptor and the handlers
 * do nothing but write a byte. Used by serve.c's listener and evloop's
 * loop; one process has one. */
#ifndef POSTERN_NET_SIGPIPE_H
#define POSTERN_NET_SIGPIPE_H

#include <stdbool.h>

/* Makes the pipe and installs the handlers (SIGPIPE ignored). Returns
 * the descriptor to watch, or -1 with errno. */
int sigpipe_open(void);

/* The pipe's reading end (-1 when it is not open). */
int sigpipe_fd(void);

/* The handlers back to the defaults and the pipe closed. */
void sigpipe_close(void);

/* Reads the signals that came, up to n, into sigs; returns how many. */
int sigpipe_read(unsigned char *sigs, int n);

/* Holds the caught signals (around a fork, so a child never runs a
 * handler meant for its parent) or lets them through again. */
void sigpipe_block(bool block);

/* In a process forked for a session: the pipe closed, SIGTERM, SIGINT
 * and SIGCHLD back to the defaults, SIGHUP ignored (reloading is the
 * parent's business), the signals let through. */
void sigpipe_child(void);

#endif
