/* Fibers (see fiber.h): stacks from mmap under a guard page, and the
 * switch between a fiber and the process's own stack. On x86_64 the
 * switch is a few instructions that save what the ABI says a callee
 * keeps (rbx, rbp, r12-r15, the SSE and x87 control words) and swap the
 * stack pointer: no system call, where swapcontext() sets the signal mask
 * each time. Elsewhere (or with FIBER_UCONTEXT defined) ucontext does it.
 * Under AddressSanitizer each switch is announced to it, so that it
 * checks the right stack. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/fiber.h"
#include "util/mem.h"
#include "util/msg.h"

#if !defined(__x86_64__) || defined(FIBER_UCONTEXT)
#define FIBER_USE_UCONTEXT 1
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
#define FIBER_NO_ASAN __attribute__((no_sanitize_address))
#else
#define FIBER_NO_ASAN
#endif

/* Stacks kept after their fiber ended, for the next ones: an mmap, a
 * guard page and the page faults of a new stack cost more than a session's
 * reads. */
#define FIBER_STACK_CACHE 16

struct fiber {
	fiber_fn *fn;
	void *arg;
	void *data;
	char *map;		/* the mapping: guard page, then the stack */
	size_t map_len;
	char *stack;		/* lowest usable byte */
	size_t stack_len;
	bool started, done;
	struct msg_state *msg;	/* its diagnostics context */
#ifdef FIBER_USE_UCONTEXT
	ucontext_t uc;
#else
	void *sp;		/* saved stack pointer while switched out */
#endif
#ifdef FIBER_ASAN
	void *fake_stack;
#endif
};

static struct fiber *running;
#ifdef FIBER_USE_UCONTEXT
static ucontext_t main_uc;
#else
static void *main_sp;
#endif
#ifdef FIBER_ASAN
static void *main_fake_stack;
static const void *main_bottom;
static size_t main_size;
#endif

static struct {
	char *map;
	size_t len;
} cache[FIBER_STACK_CACHE];
static size_t ncache;

#ifndef FIBER_USE_UCONTEXT
/* fiber_swap(save, to): pushes the callee-saved registers, stores the
 * stack pointer in *save, takes to as the stack pointer and pops the
 * registers saved there; returns on the other stack. A local symbol
 * (no .globl): the library exports only what its headers declare. */
void fiber_swap(void **save, void *to) __attribute__((visibility("hidden")));
__asm__(".text\n"
	".p2align 4\n"
	".type fiber_swap, @function\n"
	"fiber_swap:\n"
	"\tpushq %rbp\n"
	"\tpushq %rbx\n"
	"\tpushq %r12\n"
	"\tpushq %r13\n"
	"\tpushq %r14\n"
	"\tpushq %r15\n"
	"\tsubq $8, %rsp\n"
	"\tstmxcsr (%rsp)\n"
	"\tfnstcw 4(%rsp)\n"
	"\tmovq %rsp, (%rdi)\n"
	"\tmovq %rsi, %rsp\n"
	"\tldmxcsr (%rsp)\n"
	"\tfldcw 4(%rsp)\n"
	"\taddq $8, %rsp\n"
	"\tpopq %r15\n"
	"\tpopq %r14\n"
	"\tpopq %r13\n"
	"\tpopq %r12\n"
	"\tpopq %rbx\n"
	"\tpopq %rbp\n"
	"\tret\n"
	".size fiber_swap, .-fiber_swap\n");
#endif

static size_t page_size(void)
{
	static size_t pg;

	if (pg == 0) {
		long n = sysconf(_SC_PAGESIZE);

		pg = n > 0 ? (size_t)n : 4096;
	}
	return pg;
}

/* A mapping of len bytes whose first page is the guard. */
static char *stack_map(size_t len)
{
	char *m;

	for (size_t i = 0; i < ncache; i++)
		if (cache[i].len == len) {
			m = cache[i].map;
			cache[i] = cache[--ncache];
			return m;
		}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED) {
		msg_warn("cannot map a fiber stack: %s bytes=%zu", strerror(errno), len);
		return NULL;
	}
	if (mprotect(m, page_size(), PROT_NONE) < 0) {
		msg_warn("cannot protect a fiber stack's guard page: %s", strerror(errno));
		munmap(m, len);
		return NULL;
	}
	return m;
}

static void stack_unmap(char *m, size_t len)
{
	if (ncache < FIBER_STACK_CACHE) {
		cache[ncache].map = m;
		cache[ncache++].len = len;
		return;
	}
	munmap(m, len);
}

/* Runs on the fiber's stack, from its first switch in. */
__attribute__((noreturn))
static void fiber_main(void)
{
	struct fiber *f = running;

#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &main_bottom, &main_size);
#endif
	f->fn(f->arg);
	f->done = true;
	fiber_yield();
	msg_panic("fiber: a finished fiber was resumed");
}

#ifdef FIBER_USE_UCONTEXT
static void fiber_main_uc(void)
{
	fiber_main();
}
#endif

static int fiber_prepare(struct fiber *f)
{
#ifdef FIBER_USE_UCONTEXT
	if (getcontext(&f->uc) < 0)
		return -1;
	f->uc.uc_stack.ss_sp = f->stack;
	f->uc.uc_stack.ss_size = f->stack_len;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, fiber_main_uc, 0);
#else
	/* What fiber_swap pops: the control words, six registers, then the
	 * return address, fiber_main's entry. At that entry the stack must
	 * be as after a call: 8 past a multiple of 16. */
	uintptr_t top = ((uintptr_t)(f->stack + f->stack_len)) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(top - 8 - 8 * 8);
	uint32_t mxcsr;
	uint16_t fpucw;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	memset(sp, 0, 8 * 8);
	memcpy(sp, &mxcsr, 4);
	memcpy((char *)sp + 4, &fpucw, 2);
	sp[7] = (uint64_t)(uintptr_t)fiber_main;
	f->sp = sp;
#endif
	return 0;
}

struct fiber *fiber_new(fiber_fn *fn, void *arg, size_t stack_size)
{
	size_t pg = page_size(), len;
	struct fiber *f;

	if (stack_size == 0)
		stack_size = FIBER_STACK_DEFAULT;
	len = (stack_size + pg - 1) / pg * pg + pg;
	f = xcalloc(1, sizeof(*f));
	f->fn = fn;
	f->arg = arg;
	f->map_len = len;
	if ((f->map = stack_map(len)) == NULL) {
		free(f);
		return NULL;
	}
	f->stack = f->map + pg;
	f->stack_len = len - pg;
#ifdef FIBER_ASAN
	/* an earlier fiber's frames that never returned left their
	 * redzones poisoned */
	__asan_unpoison_memory_region(f->stack, f->stack_len);
#endif
	if (fiber_prepare(f) < 0) {
		msg_warn("cannot make a fiber context: %s", strerror(errno));
		stack_unmap(f->map, f->map_len);
		free(f);
		return NULL;
	}
	f->msg = msg_state_new();
	return f;
}

void fiber_free(struct fiber *f)
{
	if (f == NULL)
		return;
	if (f == running)
		msg_panic("fiber: freeing the running fiber");
	if (f->started && !f->done)
		msg_panic("fiber: freeing a fiber that has not finished");
	msg_state_free(f->msg);
	stack_unmap(f->map, f->map_len);
	free(f);
}

bool fiber_resume(struct fiber *f)
{
	if (running)
		msg_panic("fiber: resume from inside a fiber");
	if (f->done)
		return true;
	f->started = true;
	running = f;
	msg_state_use(f->msg);
#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(&main_fake_stack, f->stack, f->stack_len);
#endif
#ifdef FIBER_USE_UCONTEXT
	swapcontext(&main_uc, &f->uc);
#else
	fiber_swap(&main_sp, f->sp);
#endif
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(main_fake_stack, NULL, NULL);
#endif
	msg_state_use(NULL);
	running = NULL;
	return f->done;
}

void fiber_yield(void)
{
	struct fiber *f = running;

	if (f == NULL)
		msg_panic("fiber: yield outside a fiber");
#ifdef FIBER_ASAN
	/* a finished fiber never comes back: its fake stack can go */
	__sanitizer_start_switch_fiber(f->done ? NULL : &f->fake_stack, main_bottom, main_size);
#endif
#ifdef FIBER_USE_UCONTEXT
	swapcontext(&f->uc, &main_uc);
#else
	fiber_swap(&f->sp, main_sp);
#endif
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(f->fake_stack, &main_bottom, &main_size);
#endif
}

struct fiber *fiber_current(void)
{
	return running;
}

bool fiber_done(const struct fiber *f)
{
	return f->done;
}

void fiber_set_data(struct fiber *f, void *data)
{
	f->data = data;
}

void *fiber_data(const struct fiber *f)
{
	return f->data;
}

FIBER_NO_ASAN
size_t fiber_stack_used(const struct fiber *f)
{
	const uint64_t *w = (const uint64_t *)(const void *)f->stack;
	size_t n = f->stack_len / sizeof(*w), i = 0;

	while (i < n && w[i] == 0)
		i++;
	return (n - i) * sizeof(*w);
}

size_t fiber_stack_size(const struct fiber *f)
{
	return f->stack_len;
}
