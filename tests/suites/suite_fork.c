// SPDX-License-Identifier: GPL-2.0
/*
 * fork() and pinned memory, with the child alive while the parent and the
 * device write.  Pinned before fork: the kernel copies every pinned page
 * of a private mapping for the child at fork time (early COW: 5.9
 * 70e806e4e645 for PTEs, 5.12 4eae4efa2c29 for hugetlb), so the pin stays
 * the parent's and the child's copy holds the data.  Pinned after fork: a
 * write pin breaks COW, a read-only pin unshares the page (5.19,
 * a7f226604170), and both then see the parent's writes.  Pinned from one
 * thread while another forks: GUP-fast retries when fork is under way
 * (5.11, 57efa1fe5957), so no pin ends up in a page fork shared.  Shared
 * file mappings are the same page in both processes, pinned or not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt.h"

/* A case's index: a memory kind, or a file kind + FORK_PRIVATE, mapped MAP_PRIVATE. */
#define FORK_PRIVATE	64

/* The patterns: before fork, the parent's CPU after it, the device after it. */
#define SEED_BEFORE	1
#define SEED_CPU	2
#define SEED_DEVICE	3

static enum mem_kind fork_kind(int i)
{
	return (enum mem_kind)(i % FORK_PRIVATE);
}

/* Whether the child has pages of its own: every private mapping. */
static int fork_copies(int i)
{
	return !mem_is_file(fork_kind(i)) || (i & FORK_PRIVATE);
}

/* Two parts of at least four pages, one folio each for the large kinds. */
static size_t fork_len(int i)
{
	size_t folio = mem_folio(fork_kind(i));

	return 2 * (folio > 4 * PAGE ? folio : 4 * PAGE);
}

/* Each of the @parts equal parts of @addr is the pattern of its seed, from 0. */
static void fill_parts(char *addr, size_t len, int parts, const uint64_t *seed)
{
	for (int k = 0; k < parts; k++)
		pinctl_pattern_fill(addr + k * (len / parts), 0, len / parts,
				    seed[k]);
}

/*
 * The memory of case @i, every byte of it written before any pin: for
 * FORK_PRIVATE, a MAP_PRIVATE mapping of the kind's file, whose writes
 * are anonymous copies and never reach the file.
 */
static void fork_mem(struct test_mem *m, int i, int parts)
{
	static const uint64_t before[2] = { SEED_BEFORE, SEED_BEFORE };
	size_t len = fork_len(i);

	mem_create(m, fork_kind(i), len);
	if (i & FORK_PRIVATE) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       m->fd, 0);

		ck_assert_ptr_ne(p, MAP_FAILED);
		ck_assert_int_eq(mem_unmap(m), 0);
		m->addr = p;
	}
	fill_parts(m->addr, len, parts, before);
}

/* After the pins are gone: a private mapping's writes never reached the file. */
static void fork_mem_destroy(struct test_mem *m, int i)
{
	if (i & FORK_PRIVATE)
		pt_file_is_zero(m->fd, 0, m->len);
	mem_destroy(m);
}

/* What the child must read in each part, at once and when released. */
struct child_view {
	const char *addr;
	size_t len;
	int parts;
	uint64_t seed[2][2];	/* [stage][part] */
};

/* In the child: 0 if @stage's view holds, else 1 + the part that differs. */
static int child_view_check(const struct child_view *v, int stage)
{
	size_t part = v->len / v->parts;

	for (int k = 0; k < v->parts; k++) {
		uint64_t first, bad;

		bad = pinctl_pattern_check(v->addr + k * part, 0, part,
					   v->seed[stage][k], &first);
		if (bad) {
			fprintf(stderr, "fork child: %s, part %d: %llu bytes unlike seed %llu, the first at %llu (%#x)\n",
				stage ? "released" : "at once", k,
				(unsigned long long)bad,
				(unsigned long long)v->seed[stage][k],
				(unsigned long long)first,
				v->addr[k * part + first] & 0xff);
			return 1 + k;
		}
	}
	return 0;
}

/*
 * A child that lives while the parent writes: it checks its view at once
 * and says so through @ready, then waits until the parent releases it
 * (or goes: EOF) and checks again; its exit status is what went wrong.
 */
struct child {
	pid_t pid;
	int ready;		/* read end: the verdict of the first check */
	int release;		/* write end */
	int released;
};

#define CHILD_NOT_RELEASED	100

static int child_start(struct child *c, const struct child_view *v)
{
	int ready[2], release[2];
	char go;

	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	if (pipe2(release, O_CLOEXEC)) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	c->pid = fork();
	if (!c->pid) {
		char verdict = child_view_check(v, 0);

		if (write(ready[1], &verdict, 1) != 1 || verdict)
			_exit(verdict);
		if (read(release[0], &go, 1) != 1)
			_exit(CHILD_NOT_RELEASED);
		_exit(child_view_check(v, 1));
	}
	close(ready[1]);
	close(release[0]);
	c->ready = ready[0];
	c->release = release[1];
	c->released = 0;
	return c->pid < 0 ? -errno : 0;
}

/* The verdict of the child's first check, or -1 if it died before it. */
static int child_ready(const struct child *c)
{
	char verdict;

	return read(c->ready, &verdict, 1) == 1 ? verdict : -1;
}

/* Lets the child check again and exit. */
static void child_release(struct child *c)
{
	if (!c->released && write(c->release, "g", 1) == 1)
		c->released = 1;
}

static const char *child_says(int status)
{
	switch (status) {
	case 1:
	case 2:
		return "its copy was not the data it must hold (see its line above)";
	case CHILD_NOT_RELEASED:
		return "it was not released";
	default:
		return status > 128 ? "it was killed" : "it could not check";
	}
}

/*
 * Reaps the child: released if the parent's checks held (@why empty),
 * killed if not; and if they held, says in @why what the child found
 * wrong.  Its pipes close last: a child that answers late gets no SIGPIPE.
 */
static void child_judge(struct child *c, char *why, size_t size)
{
	int status = -1;

	if (!why[0])
		child_release(c);
	if (why[0] || !c->released)
		kill(c->pid, SIGKILL);
	if (waitpid(c->pid, &status, 0) == c->pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) :
			 128 + WTERMSIG(status);
	close(c->release);
	close(c->ready);
	if (!why[0] && status)
		snprintf(why, size, "the child: status %d: %s", status,
			 child_says(status));
}

/*
 * Every page of the pin @h has all of @must, or @why says which did not
 * (and 0 is not returned).
 */
static int pin_pages_are(struct pinctl *ctx, uint64_t h, size_t len,
			 uint32_t must, char *why, size_t size)
{
	size_t n = len / PAGE;
	struct pinctl_page *p = calloc(n, sizeof(*p));
	int ret = p ? pinctl_query(ctx, h, 0, n, p) : -ENOMEM;

	if (ret)
		snprintf(why, size, "QUERY: %s", strerror(-ret));
	for (size_t i = 0; !ret && i < n; i++) {
		if ((p[i].flags & must) != must) {
			snprintf(why, size, "page %zu of the pin: flags %#x, not all of %#x",
				 i, p[i].flags, must);
			ret = -EBADMSG;
		}
	}
	free(p);
	return ret;
}

/* What QUERY says of a pinned page of case @i that is the parent's own. */
static uint32_t pinned_as(int i)
{
	uint32_t f = PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED;

	return f | (fork_copies(i) ? PINCTL_PAGE_ANON | PINCTL_PAGE_ANON_EXCLUSIVE :
		    PINCTL_PAGE_FILE);
}

/*
 * Pinned, then forked, the child alive: a private mapping's pinned pages
 * stay the parent's (QUERY: anonymous and exclusive), the child's copies
 * hold the data of before fork, and what the parent and the device write
 * after fork meet in the pinned pages and never reach the child.  The
 * pin is a FAST one on pages all present, the process's first: only
 * GUP-fast tells fork that this mm pins (MMF_HAS_PINNED).  A shared
 * mapping is the same page in both: the child reads the device's writes.
 */
START_TEST(pinned_then_forked)
{
	struct pinctl *ctx = pt_open();
	size_t len = fork_len(_i);
	struct child_view view = { .len = len, .parts = 1 };
	struct child c;
	struct test_mem m;
	char why[256] = "";
	uint64_t h;

	fork_mem(&m, _i, 1);
	view.addr = m.addr;
	view.seed[0][0] = SEED_BEFORE;
	view.seed[1][0] = fork_copies(_i) ? SEED_BEFORE : SEED_DEVICE;
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, len,
				    PINCTL_PIN_WRITE | PINCTL_PIN_FAST, &h), 0);
	ck_assert_int_eq(child_start(&c, &view), 0);

	/* the child is alive until child_judge(): no ck_assert until then */
	PT_EXPECT_EQ(child_ready(&c), 0, why, out);
	if (pin_pages_are(ctx, h, len, pinned_as(_i), why, sizeof(why)))
		goto out;
	pinctl_pattern_fill(m.addr, 0, len, SEED_CPU);
	PT_EXPECT_EQ(pinctl_dma_verify(ctx, h, 0, len, SEED_CPU), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_fill(ctx, h, 0, len, SEED_DEVICE), 0, why, out);
	PT_EXPECT_EQ(pinctl_pattern_check(m.addr, 0, len, SEED_DEVICE, NULL), 0,
		     why, out);
out:
	child_judge(&c, why, sizeof(why));
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	fork_mem_destroy(&m, _i);
	pinctl_close(ctx);
}
END_TEST

/*
 * Forked, then pinned, the child alive: a write pin of part 0 breaks COW
 * (the device's writes reach the parent, never the child); a read-only
 * pin of part 1 unshares the page (5.19+), so it sees what the parent
 * writes after it.  Both pins then hold pages of the parent's own.
 */
START_TEST(forked_then_pinned)
{
	struct pinctl *ctx = pt_open();
	size_t len = fork_len(_i), part = len / 2;
	struct child_view view = {
		.len = len, .parts = 2,
		.seed = { { SEED_BEFORE, SEED_BEFORE },
			  { SEED_DEVICE, SEED_CPU } },
	};
	struct child c;
	struct test_mem m;
	char why[256] = "";
	uint64_t hw = 0, hr = 0;

	fork_mem(&m, _i, 2);
	view.addr = m.addr;
	if (fork_copies(_i))
		view.seed[1][0] = view.seed[1][1] = SEED_BEFORE;
	ck_assert_int_eq(child_start(&c, &view), 0);

	/* the child is alive until child_judge(): no ck_assert until then */
	PT_EXPECT_EQ(child_ready(&c), 0, why, out);
	PT_EXPECT_EQ(pinctl_pin(ctx, m.addr, part, PINCTL_PIN_WRITE, &hw), 0,
		     why, out);
	PT_EXPECT_EQ(pinctl_pin(ctx, m.addr + part, part, 0, &hr), 0, why, out);
	if (pin_pages_are(ctx, hw, part, pinned_as(_i), why, sizeof(why)) ||
	    pin_pages_are(ctx, hr, part, pinned_as(_i), why, sizeof(why)))
		goto out;
	/* each pin still holds what was there before fork */
	PT_EXPECT_EQ(pinctl_dma_verify(ctx, hw, 0, part, SEED_BEFORE), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_verify(ctx, hr, 0, part, SEED_BEFORE), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_fill(ctx, hw, 0, part, SEED_DEVICE), 0, why, out);
	PT_EXPECT_EQ(pinctl_pattern_check(m.addr, 0, part, SEED_DEVICE, NULL), 0,
		     why, out);
	pinctl_pattern_fill(m.addr + part, 0, part, SEED_CPU);
	PT_EXPECT_EQ(pinctl_dma_verify(ctx, hr, 0, part, SEED_CPU), 0, why, out);
out:
	child_judge(&c, why, sizeof(why));
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_int_eq(pinctl_unpin(ctx, hw, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, hr, 0), 0);
	fork_mem_destroy(&m, _i);
	pinctl_close(ctx);
}
END_TEST

/*
 * Forks of pin_races_fork, and the most pins the pinner takes during one:
 * a fork of this (instrumented) process takes tens of milliseconds under
 * TCG, and a few hundred pins meet a few dozen of them in a few seconds.
 */
#define RACE_ROUNDS	48
#define RACE_PINS	8

struct race {
	struct pinctl *ctx;
	char *buf;
	size_t len;
	pthread_barrier_t go, done;
	uint64_t seed;		/* what the buffer holds during a round */
	int forked;		/* fork() has returned in the parent */
	int stop;		/* set before go: no more rounds */
	uint64_t h[RACE_PINS];
	int npins;
	char why[192];		/* the pinner's failure; it stops then */
};

/*
 * A MiB of small pages, or a folio of the large kinds: many PTEs for fork
 * to copy while GUP-fast walks them.
 */
static size_t race_len(int i)
{
	size_t folio = mem_folio(fork_kind(i));

	return folio > 256 * PAGE ? folio : 256 * PAGE;
}

/* A few microseconds or none, so that pins and fork meet at other points. */
static void spin(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

/*
 * Each round, as soon as the forker lets it go, pins the buffer (FAST,
 * for writing) again and again until fork() has returned, and checks
 * that each pin's first and last page hold what the buffer holds (all of
 * it after the round: a short check keeps the pins back to back).
 */
static void *pinner(void *arg)
{
	struct race *r = arg;

	for (unsigned int round = 0;; round++) {
		int ret = 0;

		pthread_barrier_wait(&r->go);
		if (r->stop)
			break;
		spin(round % 8 * 500);
		r->npins = 0;
		do {
			uint64_t *h = &r->h[r->npins];

			ret = pinctl_pin(r->ctx, r->buf, r->len,
					 PINCTL_PIN_WRITE | PINCTL_PIN_FAST, h);
			if (ret)
				break;
			r->npins++;
			ret = pinctl_dma_verify(r->ctx, *h, 0, PAGE, r->seed) ?:
			      pinctl_dma_verify(r->ctx, *h, r->len - PAGE, PAGE,
						r->seed);
		} while (!ret && r->npins < RACE_PINS &&
			 !__atomic_load_n(&r->forked, __ATOMIC_ACQUIRE));
		if (ret)
			snprintf(r->why, sizeof(r->why), "round %u, pin %d: %s",
				 round, r->npins, strerror(-ret));
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * After a round: every pin sees what the parent writes now, and the
 * parent sees what the device writes through the last; then the pins go.
 */
static int race_round_end(struct race *r, char *why, size_t size)
{
	uint64_t now = r->seed + 1000000, device = r->seed + 2000000;
	int ret = 0;

	pinctl_pattern_fill(r->buf, 0, r->len, now);
	for (int k = 0; !ret && k < r->npins; k++) {
		ret = pinctl_dma_verify(r->ctx, r->h[k], 0, r->len, now);
		if (ret)
			snprintf(why, size, "pin %d of %d no longer sees the parent's writes: %s",
				 k, r->npins, strerror(-ret));
	}
	if (!ret && r->npins) {
		ret = pinctl_dma_fill(r->ctx, r->h[r->npins - 1], 0, r->len, device);
		if (!ret && pinctl_pattern_check(r->buf, 0, r->len, device, NULL))
			ret = -EBADMSG;
		if (ret)
			snprintf(why, size, "the device's write through the last pin: %s",
				 strerror(-ret));
	}
	for (int k = 0; k < r->npins; k++)
		if (pinctl_unpin(r->ctx, r->h[k], PINCTL_UNPIN_DIRTY) && !ret) {
			snprintf(why, size, "unpin %d failed", k);
			ret = -EIO;
		}
	return ret;
}

/*
 * One thread pins while another forks, RACE_ROUNDS times: a pin taken as
 * fork copies the page tables must not hold a page that fork shares with
 * the child (GUP-fast sees write_protect_seq move and falls back), so
 * after each round every pin must still see the parent's writes, and the
 * child's copy hold what the round began with.  The children of even
 * rounds check and exit at once; those of odd rounds stay until the
 * round's writes are done.
 */
START_TEST(pin_races_fork)
{
	struct race r = { .ctx = pt_open(), .len = race_len(_i) };
	struct child_view view = { .len = r.len, .parts = 1 };
	struct test_mem m;
	char why[256] = "";
	pthread_t t;
	int round;

	mem_create(&m, fork_kind(_i), r.len);
	r.buf = m.addr;
	view.addr = m.addr;
	ck_assert_int_eq(pthread_barrier_init(&r.go, NULL, 2), 0);
	ck_assert_int_eq(pthread_barrier_init(&r.done, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, pinner, &r), 0);

	/* the pinner waits at a barrier: no ck_assert until it is joined */
	for (round = 0; round < RACE_ROUNDS && !why[0]; round++) {
		struct child c;
		int ret;

		r.seed = 10 + round;
		view.seed[0][0] = view.seed[1][0] = r.seed;
		pinctl_pattern_fill(r.buf, 0, r.len, r.seed);
		__atomic_store_n(&r.forked, 0, __ATOMIC_RELEASE);
		pthread_barrier_wait(&r.go);
		spin(round * 3 % 8 * 500);
		ret = child_start(&c, &view);
		if (!ret && !(round & 1))
			child_release(&c);
		__atomic_store_n(&r.forked, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&r.done);
		if (ret) {
			snprintf(why, sizeof(why), "fork: %s", strerror(-ret));
			break;
		}
		if (r.why[0])
			snprintf(why, sizeof(why), "the pinner: %s", r.why);
		else
			race_round_end(&r, why, sizeof(why));
		child_judge(&c, why, sizeof(why));
	}
	r.stop = 1;
	pthread_barrier_wait(&r.go);
	pthread_join(t, NULL);
	ck_assert_msg(!why[0], "round %d: %s", round - 1, why);
	pthread_barrier_destroy(&r.go);
	pthread_barrier_destroy(&r.done);
	mem_destroy(&m);
	pinctl_close(r.ctx);
}
END_TEST

/* Every memory kind: the anonymous ones, then each file shared and private. */
static void add_kinds(struct pt_run *run, TCase *tc, const TTest *test,
		      const char *nodev)
{
	char label[48];

	for (int kind = 0; kind < MEM_KINDS; kind++) {
		const char *skip = nodev ?: mem_unavailable(kind);

		pt_add(run, tc, test, kind, kind + 1, mem_name(kind), skip);
		if (!mem_is_file(kind))
			continue;
		snprintf(label, sizeof(label), "%s-private", mem_name(kind));
		pt_add(run, tc, test, kind + FORK_PRIVATE, kind + FORK_PRIVATE + 1,
		       label, skip);
	}
}

Suite *suite_fork(struct pt_run *run)
{
	/* GUP-fast and fork on PTEs, and on a PMD */
	static const enum mem_kind racing[] = { MEM_ANON, MEM_THP };
	const char *nodev = pt_device_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "fork", 120, &tc);

	add_kinds(run, tc, pinned_then_forked, nodev);
	add_kinds(run, tc, forked_then_pinned, nodev);
	for (size_t k = 0; k < sizeof(racing) / sizeof(racing[0]); k++)
		pt_add(run, tc, pin_races_fork, racing[k], racing[k] + 1,
		       mem_name(racing[k]), nodev ?: mem_unavailable(racing[k]));
	return s;
}
