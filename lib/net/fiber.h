/* Fibers: code that blocks in the ordinary way (a session written as a
 * loop of reads and replies) run by turns on stacks of their own in one
 * thread, so that one process serves several sessions without their code
 * becoming a state machine. A fiber runs until it yields; lib/net/wait
 * yields for it when it waits on a descriptor or a deadline and resumes
 * it when that is over. The diagnostics context (msg_context, msg_hold)
 * follows each fiber. Not for threads: one fiber runs at a time. */
#ifndef POSTERN_NET_FIBER_H
#define POSTERN_NET_FIBER_H

#include <stdbool.h>
#include <stddef.h>

/* Room for an smtp-edge session with TLS both ways, SPF and the content
 * layer: its deepest use measured is in smtp-edge(8) (BENCHMARK). */
#define FIBER_STACK_DEFAULT (256 * 1024)

struct fiber;
typedef void fiber_fn(void *arg);

/* A fiber that will run fn(arg) on a stack of stack_size bytes (0: the
 * default), rounded up to whole pages, with an inaccessible guard page
 * below it: an overflow is a SIGSEGV, never another fiber's memory. It
 * runs from the first fiber_resume. NULL when the memory cannot be had
 * (logged). */
struct fiber *fiber_new(fiber_fn *fn, void *arg, size_t stack_size);
/* Frees a fiber that has returned or never ran (a stack is kept for the
 * next fiber_new, a few at most). NULL is fine. */
void fiber_free(struct fiber *f);

/* From the process's own stack: runs f until it yields or returns.
 * Returns true when fn has returned (then only fiber_free is left). */
bool fiber_resume(struct fiber *f);
/* From inside a fiber: back to where fiber_resume was called. */
void fiber_yield(void);
/* The fiber running now; NULL on the process's own stack. */
struct fiber *fiber_current(void);
bool fiber_done(const struct fiber *f);

/* A pointer for the code that schedules fibers (lib/net/wait). */
void fiber_set_data(struct fiber *f, void *data);
void *fiber_data(const struct fiber *f);

/* The deepest the fiber's stack has gone (bytes touched below its top,
 * counted from the stack's untouched bottom; the stack may have been
 * used by earlier fibers, so this is the deepest of them all). Scans the
 * stack: for tests and debug logs, not for every session. */
size_t fiber_stack_used(const struct fiber *f);
size_t fiber_stack_size(const struct fiber *f);

#endif
