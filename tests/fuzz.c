// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl fuzzer (see fuzz.h).  Each thread owns an arena of memory to
 * pin, a private pinctl context whose pins it checks exactly, and a
 * scratch page for raw requests; it shares with every thread of every
 * process one inherited descriptor, and with the threads of its process
 * a "slot" descriptor that is atomically swapped between /dev/pintest and
 * /dev/null (dup2), so requests race with the release of the file.
 *
 * Memory the kernel may write to (QUERY and PROBE entries, DMA reads) is
 * either a sink large enough for the request or a guard page: a fuzzed
 * pointer must never let the kernel scribble over the fuzzer itself.  For
 * the same reason raw requests pin only the chaos arena (or fault): a
 * random DMA through the shared descriptor must neither write into pages
 * whose contents a thread checks nor into the fuzzer's heap or stacks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "fuzz.h"
#include "kmsg.h"
#include "procfs.h"
#include "util.h"
#include "pinctl.h"

#define ARENA_PAGES	64
#define SINK_PAGES	512
#define KEEP		8
#define MAX_PIN_PAGES	256	/* module parameter for the run */
#define MEMLOCK_PAGES	64	/* RLIMIT_MEMLOCK of the unprivileged process */
#define PARAM_DIR	"/sys/module/pintest/parameters/"

/* Counters of all processes: MAP_SHARED, updated atomically. */
struct tally {
	uint64_t ops, ok, failures;
	uint64_t errnos[160];
};

struct proc {
	const struct fuzz_opts *o;
	struct tally *tally;
	int index;
	int unprivileged;	/* no CAP_IPC_LOCK, small RLIMIT_MEMLOCK */
	char *checked;		/* the threads' arenas, threads x ARENA_PAGES */
	int shared_fd;		/* inherited by every process */
	int slot_fd;		/* swapped between pintest and /dev/null */
	int null_fd;
	double deadline;
	pthread_mutex_t slot_lock;	/* serialises swaps of slot_fd */
};

struct worker {
	struct proc *p;
	int index;
	uint64_t rng;
	uint64_t op;		/* sequence number, for failure reports */
	char *arena;		/* ARENA_PAGES pinned only on @own */
	char *chaos;		/* ARENA_PAGES raw requests pin */
	char *scratch;		/* one page, followed by guard */
	char *guard;		/* PROT_NONE */
	char *sink;		/* SINK_PAGES pages the kernel may write */
	struct pinctl *own;
	uint64_t kept[KEEP];
	int nkept;
	unsigned int writing;	/* bit i: kept[i] may have a writer running */
	unsigned int longterm_methods;	/* INFO: methods that take LONGTERM */
};

static uint64_t next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return pintest_pattern(*state, 0);
}

static uint64_t below(struct worker *w, uint64_t n)
{
	return n ? next(&w->rng) % n : 0;
}

static int chance(struct worker *w, int percent)
{
	return (int)below(w, 100) < percent;
}

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* write(2) only: a forked child of a threaded process must not lock stdio. */
static void fail(struct worker *w, const char *what, int ret)
{
	const char *name = ret < 0 && ret > -160 ? strerrorname_np(-ret) : NULL;
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "fuzz: FAIL seed %llu proc %d thread %d op %llu: %s (%d %s)\n",
			 (unsigned long long)w->p->o->seed, w->p->index, w->index,
			 (unsigned long long)w->op, what, ret, name ?: "");

	if (write(STDOUT_FILENO, line, n) < 0)
		return;
	add(&w->p->tally->failures, 1);
}

/* Counts an answer; an undocumented errno is a failure. */
static int note(struct worker *w, const char *what, int ret)
{
	struct tally *t = w->p->tally;

	add(&t->ops, 1);
	if (!ret)
		add(&t->ok, 1);
	else if (-ret < (int)(sizeof(t->errnos) / sizeof(t->errnos[0])))
		add(&t->errnos[-ret], 1);
	if (ret && !util_errno_documented(-ret))
		fail(w, what, ret);
	return ret;
}

static int raw(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* ---- pins the fuzzer checks exactly, on its private context ---- */

static void release_kept(struct worker *w)
{
	w->writing = 0;
	while (w->nkept) {
		int ret = pinctl_unpin(w->own, w->kept[--w->nkept],
				       chance(w, 50) ? PINCTL_UNPIN_DIRTY : 0);

		if (note(w, "unpin kept", ret))
			fail(w, "unpin of a kept pin", ret);
	}
}

static void stop_writers(struct worker *w)
{
	for (int i = 0; i < w->nkept; i++) {
		if (!(w->writing & 1U << i))
			continue;
		if (note(w, "dma_stop", pinctl_dma_stop(w->own, w->kept[i], NULL, NULL)))
			fail(w, "dma_stop on a held pin", -EINVAL);
	}
	w->writing = 0;
}

static void op_integrity(struct worker *w)
{
	static const unsigned int methods[] = {
		PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
	};
	size_t first = below(w, ARENA_PAGES);
	size_t n = 1 + below(w, ARENA_PAGES - first < 16 ? ARENA_PAGES - first : 16);
	unsigned int method = methods[below(w, 3)];
	unsigned int flags = PINCTL_PIN_WRITE | method |
			     (chance(w, 30) && method & w->longterm_methods ?
			      PINCTL_PIN_LONGTERM : 0);
	uint64_t h, seed = next(&w->rng), bad = 0, where;
	struct pinctl_page page;
	int ret;

	stop_writers(w);	/* they write into pages this pin may share */
	ret = note(w, "pin", pinctl_pin(w->own, w->arena + first * PAGE,
					n * PAGE, flags, &h));
	if (ret == -ENOMEM && w->p->unprivileged) {
		release_kept(w);	/* the memlock limit, as it should */
		return;
	}
	if (ret) {
		fail(w, "pin of a valid range", ret);
		return;
	}
	ret = note(w, "fill", pinctl_dma_fill(w->own, h, 0, n * PAGE, seed));
	if (!ret)
		ret = note(w, "compare", pinctl_dma_compare(w->own, h, 0, n * PAGE,
							    seed, &bad, &where));
	if (ret || bad)
		fail(w, bad ? "DMA pattern mismatch" : "fill/verify of a valid pin",
		     ret ?: -(int)bad);
	ret = note(w, "query", pinctl_query(w->own, h, below(w, n), 1, &page));
	if (ret || (page.flags & (PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED)) !=
		   (PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED))
		fail(w, "query of a held pin", ret ?: (int)page.flags);

	if (w->nkept < KEEP && chance(w, 60)) {
		w->kept[w->nkept++] = h;
		return;
	}
	ret = note(w, "unpin", pinctl_unpin(w->own, h, chance(w, 50) ? PINCTL_UNPIN_DIRTY : 0));
	if (ret)
		fail(w, "unpin of a held pin", ret);
}

/* A writer on a kept pin; stopped now, later, or by the unpin. */
static void op_writer(struct worker *w)
{
	uint64_t h, passes;
	int i, ret;

	if (!w->nkept)
		return;
	i = below(w, w->nkept);
	h = w->kept[i];
	w->writing |= 1U << i;
	ret = note(w, "dma_start", pinctl_dma_start(w->own, h, 0, PAGE,
						    next(&w->rng), 1 + below(w, 50),
						    (uint32_t)below(w, 20)));
	if (ret && ret != -EBUSY)
		fail(w, "dma_start on a held writable pin", ret);
	if (chance(w, 50)) {
		ret = note(w, "dma_stop", pinctl_dma_stop(w->own, h, &passes, NULL));
		if (ret)
			fail(w, "dma_stop on a held pin", ret);
	}
}

/* Every handle of the private context, until ENOSPC: exactly max_handles. */
static void op_handles(struct worker *w)
{
	int limit = w->p->o->max_handles, got = w->nkept, ret = 0;
	uint64_t *hs;

	if (!limit || w->p->unprivileged)
		return;
	hs = calloc(limit + 1, sizeof(*hs));
	if (!hs)
		return;
	while (got <= limit) {
		ret = note(w, "pin to the limit",
			   pinctl_pin(w->own, w->arena + below(w, ARENA_PAGES) * PAGE,
				      PAGE, 0, &hs[got]));
		if (ret)
			break;
		got++;
	}
	if (ret != -ENOSPC || got != limit)
		fail(w, "handles per descriptor do not stop at max_handles", got);
	while (got > w->nkept)
		if (note(w, "unpin", pinctl_unpin(w->own, hs[--got], 0)))
			fail(w, "unpin of a held pin", -EINVAL);
	free(hs);
}

/* munmap-and-remap, PROT_NONE or MADV_DONTNEED part of an arena. */
static void op_remap(struct worker *w)
{
	size_t first = below(w, ARENA_PAGES), n = 1 + below(w, ARENA_PAGES - first);
	char *at = (chance(w, 50) ? w->arena : w->chaos) + first * PAGE;
	uint64_t h;
	int ret;

	switch (below(w, 3)) {
	case 0:
		if (mmap(at, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			fail(w, "remap of the arena", -errno);
		break;
	case 1:
		mprotect(at, n * PAGE, PROT_NONE);
		ret = note(w, "pin PROT_NONE", pinctl_pin(w->own, at, n * PAGE, 0, &h));
		if (ret != -EFAULT && !(ret == -ENOMEM && w->p->unprivileged)) {
			fail(w, "pin of PROT_NONE memory", ret);
			if (!ret)
				pinctl_unpin(w->own, h, 0);
		}
		mprotect(at, n * PAGE, PROT_READ | PROT_WRITE);
		break;
	default:
		madvise(at, n * PAGE, MADV_DONTNEED);
		break;
	}
}

/* ---- raw requests: valid-looking, then mutated ---- */

static const unsigned int cmds[] = {
	PINTEST_IOC_INFO, PINTEST_IOC_PIN, PINTEST_IOC_QUERY, PINTEST_IOC_PROBE,
	PINTEST_IOC_UNPIN, PINTEST_IOC_DMA, PINTEST_IOC_STATS,
	PINTEST_IOC_DMA_START, PINTEST_IOC_DMA_STOP,
};

static const size_t sizes[] = {
	sizeof(struct pintest_info), sizeof(struct pintest_pin),
	sizeof(struct pintest_query), sizeof(struct pintest_probe),
	sizeof(struct pintest_unpin), sizeof(struct pintest_dma),
	sizeof(struct pintest_stats), sizeof(struct pintest_dma_start),
	sizeof(struct pintest_dma_stop),
};

static uint32_t some_handle(struct worker *w)
{
	return chance(w, 90) ? 1 + below(w, 64) : (uint32_t)next(&w->rng);
}

static uint64_t chaos_addr(struct worker *w)
{
	return (uintptr_t)w->chaos + below(w, ARENA_PAGES) * PAGE;
}

/* A request that would be valid if its handle were; returns its size. */
static size_t valid_request(struct worker *w, int which, void *buf)
{
	uint64_t len = (1 + below(w, 8)) * PAGE;

	memset(buf, 0, PAGE);
	switch (cmds[which]) {
	case PINTEST_IOC_PIN: {
		struct pintest_pin *c = buf;

		c->flags = (uint32_t)below(w, 4) | (PINTEST_PIN_FAST << below(w, 3));
		c->addr = chaos_addr(w);
		c->length = len;
		break;
	}
	case PINTEST_IOC_QUERY: {
		struct pintest_query *c = buf;

		c->handle = some_handle(w);
		c->entry_size = sizeof(struct pintest_page);
		c->first = below(w, 4);
		c->count = 1 + below(w, 4);
		c->pages = (uintptr_t)w->sink;
		break;
	}
	case PINTEST_IOC_PROBE: {
		struct pintest_probe *c = buf;

		c->entry_size = sizeof(struct pintest_page);
		c->addr = chaos_addr(w);
		c->length = len;
		c->pages = (uintptr_t)w->sink;
		break;
	}
	case PINTEST_IOC_UNPIN: {
		struct pintest_unpin *c = buf;

		c->handle = some_handle(w);
		c->flags = (uint32_t)below(w, 2);
		break;
	}
	case PINTEST_IOC_DMA: {
		struct pintest_dma *c = buf;

		c->handle = some_handle(w);
		c->op = 1 + below(w, 4);
		c->offset = below(w, 2 * PAGE);
		c->length = 1 + below(w, 2 * PAGE);
		if (c->op == PINTEST_DMA_WRITE || c->op == PINTEST_DMA_READ)
			c->buf = (uintptr_t)w->sink;
		else
			c->seed = next(&w->rng);
		break;
	}
	case PINTEST_IOC_DMA_START: {
		struct pintest_dma_start *c = buf;

		c->handle = some_handle(w);
		c->duration_ms = below(w, 20);
		c->length = 1 + below(w, PAGE);
		c->seed = next(&w->rng);
		c->count = 1 + below(w, 20);
		break;
	}
	case PINTEST_IOC_DMA_STOP: {
		struct pintest_dma_stop *c = buf;

		c->handle = some_handle(w);
		break;
	}
	}
	*(uint32_t *)buf = sizes[which];
	return sizes[which];
}

static uint64_t interesting(struct worker *w)
{
	static const uint64_t v[] = {
		0, 1, 2, 31, 32, 33, 4095, 4096, 4097, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 1ULL << 47, 1ULL << 63, ~0ULL,
		~0ULL - 4095, 0xffff888000000000ULL,
	};

	return chance(w, 80) ? v[below(w, sizeof(v) / sizeof(v[0]))] : next(&w->rng);
}

static void mutate(struct worker *w, uint8_t *buf, size_t size)
{
	int n = 1 + below(w, 4);

	while (n--) {
		size_t at = below(w, size + 8);

		switch (below(w, 4)) {
		case 0:	/* a byte, maybe just past the struct */
			buf[at] = (uint8_t)next(&w->rng);
			break;
		case 1:	/* a bit */
			buf[at] ^= 1 << below(w, 8);
			break;
		case 2: { /* a 32-bit field */
			uint32_t v = (uint32_t)interesting(w);

			memcpy(buf + (at & ~3UL), &v, sizeof(v));
			break;
		}
		default: { /* a 64-bit field */
			uint64_t v = interesting(w);

			memcpy(buf + (at & ~7UL), &v, sizeof(v));
			break;
		}
		}
	}
	if (chance(w, 15)) {	/* the size field itself */
		static const uint32_t s[] = { 0, 4, 8, 16, 24, 31, 4096, 0xffffffff };

		*(uint32_t *)buf = chance(w, 50) ? s[below(w, 8)] : size + 8 * below(w, 3);
	}
}

/* User memory the kernel may write: in the sink with room, or faulting. */
static uint64_t safe_target(struct worker *w, uint64_t ptr, uint64_t bytes)
{
	uint64_t sink = (uintptr_t)w->sink, end = sink + SINK_PAGES * PAGE;

	if (ptr < 65536 || ptr >= 1ULL << 47)
		return ptr;	/* faults in the kernel, never here */
	if (ptr >= sink && ptr <= end && bytes <= end - ptr)
		return ptr;
	return (uintptr_t)w->guard;
}

static void make_safe(struct worker *w, unsigned int cmd, void *buf)
{
	switch (cmd) {
	case PINTEST_IOC_QUERY: {
		struct pintest_query *c = buf;
		uint64_t bytes = c->count * c->entry_size;

		if (c->entry_size && bytes / c->entry_size != c->count)
			bytes = ~0ULL;
		c->pages = safe_target(w, c->pages, bytes);
		break;
	}
	case PINTEST_IOC_PROBE: {
		struct pintest_probe *c = buf;
		uint64_t entries = c->length / PAGE + 1;

		c->pages = safe_target(w, c->pages, entries > MAX_PIN_PAGES ? ~0ULL :
					  entries * c->entry_size);
		break;
	}
	case PINTEST_IOC_DMA: {
		struct pintest_dma *c = buf;

		c->buf = safe_target(w, c->buf, c->length);
		break;
	}
	case PINTEST_IOC_PIN: {
		/* a later DMA into what this pins must land in the chaos arena */
		struct pintest_pin *c = buf;
		uint64_t lo = (uintptr_t)w->chaos, size = ARENA_PAGES * PAGE;

		if (c->addr < 65536 || c->addr >= 1ULL << 47)
			break;		/* nothing of ours is there */
		if (c->addr >= lo && c->addr - lo < size && c->length <= size - (c->addr - lo))
			break;
		c->addr = c->length <= size ? lo : (uintptr_t)w->guard;
		break;
	}
	}
}

static int pick_fd(struct worker *w)
{
	return chance(w, 50) ? w->p->shared_fd : w->p->slot_fd;
}

static void op_raw(struct worker *w, int mutated)
{
	int which = below(w, sizeof(cmds) / sizeof(cmds[0]));
	unsigned int cmd = cmds[which];
	size_t size = valid_request(w, which, w->scratch);
	void *arg = w->scratch;

	if (mutated) {
		mutate(w, (uint8_t *)w->scratch, size);
		if (chance(w, 5))	/* another number of pintest's type */
			cmd = _IOC(below(w, 4), PINTEST_TYPE, below(w, 256), below(w, 64));
		if (chance(w, 5)) {
			static const uintptr_t bad[] = { 0, 4096, 0xffff888000000000UL };

			arg = chance(w, 50) ? (void *)bad[below(w, 3)] : w->guard;
		}
	}
	make_safe(w, cmd, w->scratch);
	note(w, "raw ioctl", raw(pick_fd(w), cmd, arg));
}

/* The slot's file is replaced under the other threads' requests. */
static void op_swap_slot(struct worker *w)
{
	struct proc *p = w->p;
	int fd;

	pthread_mutex_lock(&p->slot_lock);
	if (chance(w, 50)) {
		dup2(p->null_fd, p->slot_fd);
	} else {
		fd = open("/dev/pintest", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fail(w, "reopen of /dev/pintest", -errno);
		} else {
			dup2(fd, p->slot_fd);
			close(fd);
		}
	}
	pthread_mutex_unlock(&p->slot_lock);
}

/*
 * fork with the descriptors: the child sends raw requests through them
 * (its pins are charged to its own mm) and exits with whatever it holds.
 */
static void op_fork(struct worker *w)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fail(w, "fork", -errno);
		return;
	}
	if (!pid) {
		w->rng ^= 0x5bd1e995;
		for (int i = 0; i < 32; i++)
			op_raw(w, chance(w, 50));
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail(w, "forked child", status);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	while (util_now() < w->p->deadline) {
		unsigned int dice = below(w, 1000);

		w->op++;
		if (dice < 300)
			op_integrity(w);
		else if (dice < 400)
			op_writer(w);
		else if (dice < 550)
			op_raw(w, 0);
		else if (dice < 900)
			op_raw(w, 1);
		else if (dice < 960)
			op_remap(w);
		else if (dice < 985)
			op_swap_slot(w);
		else if (dice < 990)
			op_handles(w);
		else if (dice < 993 && w->index == 0)
			op_fork(w);
		else if (dice < 996)
			release_kept(w);
	}
	release_kept(w);
	return NULL;
}

static int worker_init(struct worker *w, struct proc *p, int index)
{
	struct pinctl_info info = { 0 };
	char *m;
	int ret;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->index = index;
	w->rng = p->o->seed ^ ((uint64_t)p->index << 32 | (uint64_t)index << 16);
	w->arena = p->checked + index * ARENA_PAGES * PAGE;
	w->chaos = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	m = mmap(NULL, (SINK_PAGES + 3) * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->chaos == MAP_FAILED || m == MAP_FAILED)
		return -ENOMEM;
	/* scratch | guard | sink (SINK_PAGES) | guard */
	w->scratch = m;
	w->guard = m + PAGE;
	w->sink = m + 2 * PAGE;
	mprotect(w->guard, PAGE, PROT_NONE);
	mprotect(w->sink + SINK_PAGES * PAGE, PAGE, PROT_NONE);
	ret = pinctl_open(&w->own, NULL);
	if (!ret)
		ret = pinctl_info(w->own, &info);
	w->longterm_methods = info.longterm_methods;
	return ret;
}

static void worker_fini(struct worker *w)
{
	pinctl_close(w->own);
	munmap(w->chaos, ARENA_PAGES * PAGE);
	munmap(w->scratch, (SINK_PAGES + 3) * PAGE);
}

/* Without CAP_IPC_LOCK and with a small RLIMIT_MEMLOCK, as a user is. */
static int become_unprivileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct rlimit lim = { MEMLOCK_PAGES * PAGE, MEMLOCK_PAGES * PAGE };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1U << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data) || setrlimit(RLIMIT_MEMLOCK, &lim))
		return -errno;
	return 0;
}

static void run_process(struct proc *p)
{
	int n = p->o->threads;
	struct worker *ws = calloc(n, sizeof(*ws));
	pthread_t *ts = calloc(n, sizeof(*ts));
	struct worker report = { .p = p };

	p->checked = mmap(NULL, n * ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!ws || !ts || p->checked == MAP_FAILED) {
		fail(&report, "out of memory", -ENOMEM);
		return;
	}
	if (p->unprivileged && become_unprivileged())
		fail(&report, "dropping CAP_IPC_LOCK", -errno);
	for (int i = 0; i < n; i++) {
		int ret = worker_init(&ws[i], p, i);

		if (ret || pthread_create(&ts[i], NULL, work, &ws[i])) {
			fail(&report, "starting a thread", ret ?: -EAGAIN);
			n = i;
			break;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(ts[i], NULL);
		worker_fini(&ws[i]);
	}
	munmap(p->checked, p->o->threads * ARENA_PAGES * PAGE);
	free(ws);
	free(ts);
}

/* Progress on long runs, every 30 s until the deadline. */
static void *progress(void *arg)
{
	struct proc *p = arg;
	double start = util_now(), next_at = start + 30;

	while (util_now() < p->deadline) {
		usleep(200 * 1000);
		if (util_now() < next_at)
			continue;
		printf("fuzz: %llu requests, %llu broken invariants after %.0f s\n",
		       (unsigned long long)__atomic_load_n(&p->tally->ops, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->tally->failures, __ATOMIC_RELAXED),
		       util_now() - start);
		fflush(stdout);
		next_at += 30;
	}
	return NULL;
}

/* What must hold once every descriptor is closed. */
static void check_after(struct worker *rep, long vmpin0, long refcnt0)
{
	struct pinctl_stats s;
	struct pinctl *ctx;
	long v;

	if (pinctl_open(&ctx, NULL) || pinctl_stats(ctx, &s)) {
		fail(rep, "STATS after the run", -EIO);
		return;
	}
	pinctl_close(ctx);
	if (s.live_pins || s.live_pages)
		fail(rep, "pins left after every descriptor closed", (int)s.live_pins);
	v = procfs_vmpin_kb();
	if (v != vmpin0)
		fail(rep, "VmPin not back to its baseline (kB now)", (int)v);
	v = procfs_read_long("/sys/module/pintest/refcnt");
	if (v != refcnt0)
		fail(rep, "module references left (refcnt now)", (int)v);
}

int fuzz_run(const struct fuzz_opts *o, struct fuzz_result *res)
{
	long vmpin0 = procfs_vmpin_kb(), refcnt0 = procfs_read_long("/sys/module/pintest/refcnt");
	long max_pin0 = procfs_read_long(PARAM_DIR "max_pin_pages");
	long max_handles0 = procfs_read_long(PARAM_DIR "max_handles");
	struct tally *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct proc p = { .o = o };
	struct worker rep = { .p = &p };
	pthread_t progress_thread;
	pid_t pids[64];
	int nprocs = o->procs < 64 ? o->procs : 64, kmsg, status;

	if (t == MAP_FAILED)
		return -1;
	p.tally = t;
	kmsg = kmsg_open();
	if (kmsg < 0 || refcnt0 < 0 || vmpin0 < 0)
		fail(&rep, "/dev/kmsg, VmPin or the module's refcnt unreadable", kmsg);
	/* bound what a fuzzed request can pin, and make the handle limit reachable */
	if (procfs_write_long(PARAM_DIR "max_pin_pages", MAX_PIN_PAGES) ||
	    (o->max_handles && procfs_write_long(PARAM_DIR "max_handles", o->max_handles)))
		fail(&rep, "setting the module parameters", -EPERM);

	p.shared_fd = open("/dev/pintest", O_RDWR);
	p.null_fd = open("/dev/null", O_RDWR);
	p.slot_fd = open("/dev/pintest", O_RDWR);
	pthread_mutex_init(&p.slot_lock, NULL);
	p.deadline = util_now() + o->seconds;
	if (p.shared_fd < 0 || p.null_fd < 0 || p.slot_fd < 0) {
		fail(&rep, "opening /dev/pintest", -errno);
	} else {
		for (int i = 1; i < nprocs; i++) {
			pids[i] = fork();
			if (!pids[i]) {
				p.index = i;
				p.unprivileged = i == 1;
				run_process(&p);
				_exit(0);
			}
		}
		pthread_create(&progress_thread, NULL, progress, &p);
		run_process(&p);
		pthread_join(progress_thread, NULL);
		for (int i = 1; i < nprocs; i++)
			if (pids[i] > 0 && (waitpid(pids[i], &status, 0) != pids[i] ||
					    !WIFEXITED(status) || WEXITSTATUS(status)))
				fail(&rep, "a fuzzing process died", status);
	}
	close(p.shared_fd);
	close(p.slot_fd);
	close(p.null_fd);
	pthread_mutex_destroy(&p.slot_lock);

	check_after(&rep, vmpin0, refcnt0);
	if (kmsg >= 0 && kmsg_reports(kmsg, "fuzz"))
		fail(&rep, "the kernel logged a report", -EIO);
	procfs_write_long(PARAM_DIR "max_pin_pages", max_pin0);
	procfs_write_long(PARAM_DIR "max_handles", max_handles0);

	memset(res, 0, sizeof(*res));
	res->ops = t->ops;
	res->ok = t->ok;
	memcpy(res->errnos, t->errnos, sizeof(res->errnos));
	res->failures = t->failures;
	munmap(t, sizeof(*t));
	return res->failures ? -1 : 0;
}

void fuzz_print(const struct fuzz_opts *o, const struct fuzz_result *r)
{
	printf("fuzz: seed %llu, %.0f s, %d processes x %d threads: %llu requests, %llu answered 0\n",
	       (unsigned long long)o->seed, o->seconds, o->procs, o->threads,
	       (unsigned long long)r->ops, (unsigned long long)r->ok);
	for (size_t e = 1; e < sizeof(r->errnos) / sizeof(r->errnos[0]); e++)
		if (r->errnos[e])
			printf("fuzz:   %-10s %llu\n", strerrorname_np(e) ?: "?",
			       (unsigned long long)r->errnos[e]);
	printf("fuzz: %llu broken invariants\n", (unsigned long long)r->failures);
}
