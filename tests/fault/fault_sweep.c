// SPDX-License-Identifier: GPL-2.0
/*
 * fault-sweep: every allocation on the driver's paths fails once, in turn.
 * For each step (a PIN of each method and size, QUERY, PROBE, DMA, the
 * writer, UNPIN, close with pins held, PIN_MEMFD into holes and its
 * UNPIN where the kernel has memfd_pin_folios(), DEVICE_MAP, the device's
 * DMA and writer and the UNPIN of a mapped pin where the edu device is
 * bound), the Nth fault-injection point the
 * task reaches is made to fail (/proc/thread-self/fail-nth, failslab and
 * fail_page_alloc), for N = 1, 2, ... until the step runs without reaching
 * the Nth.  Every failure must be a documented errno that leaves nothing
 * behind: no live pin, no pinned page, no pinned_vm; and at the end
 * kmemleak must find nothing allocated by pintest.  Needs a kernel with
 * CONFIG_FAULT_INJECTION (make check-debug).  Ends with
 * "fault-sweep: N passed, N failed" over the steps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pinctl.h"
#include "procfs.h"
#include "util.h"

#define BIG	600	/* pages: two gup chunks, a page array over a page */
#define DBG	"/sys/kernel/debug/"

struct env {
	struct pinctl *ctx;	/* held across a step */
	char *buf;		/* BIG pages, populated */
	int memfd;		/* 4 pages for PIN_MEMFD; -1 where there is none */
	char *mfile;		/* the memfd, mapped shared */
	uint64_t h;		/* the pin a step works on */
	uint64_t dev;		/* its mapping for the device, 0 if none */
	int failed;		/* broken invariants of this step */
};

static void bad(struct env *e, const char *step, long n, const char *what, long v)
{
	printf("fault-sweep: FAIL %s, fault %ld: %s (%ld)\n", step, n, what, v);
	e->failed++;
}

static uint64_t live_pins(void)
{
	struct pinctl *c;
	struct pinctl_stats s = { 0 };

	if (pinctl_open(&c, NULL))
		return ~0ULL;
	pinctl_stats(c, &s);
	pinctl_close(c);
	return s.live_pins;
}

/* Faults @buf in first: a folio a failed pin left pinned shows there. */
static int any_pinned(struct pinctl *ctx, const volatile char *buf, size_t pages)
{
	struct pinctl_page p;

	for (size_t i = 0; i < pages; i++)
		if ((void)buf[i * PAGE], pinctl_probe(ctx, (const char *)buf + i * PAGE, PAGE, &p) ||
		    p.flags & PINCTL_PAGE_MAYBE_DMA_PINNED)
			return 1;
	return 0;
}

/* ---- the steps: setup (no faults), the op (swept), undo ---- */

static int open_op(struct env *e)
{
	return pinctl_open(&e->ctx, NULL);
}

static void close_undo(struct env *e)
{
	pinctl_close(e->ctx);
	e->ctx = NULL;
}

static int open_ctx(struct env *e)
{
	return pinctl_open(&e->ctx, NULL);
}

static int pin_setup(struct env *e)
{
	int ret = open_ctx(e);

	return ret ?: pinctl_pin(e->ctx, e->buf, 4 * PAGE, PINCTL_PIN_WRITE, &e->h);
}

static void unpin_undo(struct env *e)
{
	pinctl_unpin(e->ctx, e->h, 0);
	close_undo(e);
}

#define PIN_OP(name, pages, flags)					\
static int name(struct env *e)						\
{									\
	return pinctl_pin(e->ctx, e->buf, (pages) * PAGE, flags, &e->h); \
}

PIN_OP(pin_fast, 4, PINCTL_PIN_WRITE | PINCTL_PIN_FAST)
PIN_OP(pin_locked, 4, PINCTL_PIN_WRITE | PINCTL_PIN_LOCKED)
PIN_OP(pin_unlocked, 4, PINCTL_PIN_WRITE | PINCTL_PIN_UNLOCKED)
PIN_OP(pin_longterm, 4, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM)
PIN_OP(pin_big, BIG, PINCTL_PIN_WRITE)

/* The memfd emptied: PIN_MEMFD allocates its folios, under the faults. */
static int memfd_holes(struct env *e)
{
	if (ftruncate(e->memfd, 0) || ftruncate(e->memfd, 4 * PAGE))
		return -errno;
	return 0;
}

static int pin_memfd_op(struct env *e)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	int ret = pinctl_pin_memfd(e->ctx, e->memfd, 0, 4 * PAGE, PINCTL_PIN_WRITE, &res);

	e->h = res.handle;
	return ret;
}

static int pin_memfd_open(struct env *e)
{
	return memfd_holes(e) ?: open_ctx(e);
}

static int pin_memfd_setup(struct env *e)
{
	return pin_memfd_open(e) ?: pin_memfd_op(e);
}

static int query_op(struct env *e)
{
	struct pinctl_page p[4];

	return pinctl_query(e->ctx, e->h, 0, 4, p);
}

static int probe_op(struct env *e)
{
	struct pinctl_page p[4];

	return pinctl_probe(e->ctx, e->buf, 4 * PAGE, p);
}

static int dma_op(struct env *e)
{
	char b[64] = "fault-sweep";
	int ret = pinctl_dma_write(e->ctx, e->h, 100, b, sizeof(b));

	ret = ret ?: pinctl_dma_read(e->ctx, e->h, 100, b, sizeof(b));
	ret = ret ?: pinctl_dma_fill(e->ctx, e->h, 0, 4 * PAGE, 7);
	return ret ?: pinctl_dma_verify(e->ctx, e->h, 0, 4 * PAGE, 7);
}

static int writer_op(struct env *e)
{
	int ret = pinctl_dma_start(e->ctx, e->h, 0, 4 * PAGE, 3, 4, 0);

	return ret ?: pinctl_dma_stop(e->ctx, e->h, NULL, NULL);
}

/* With the edu device bound: DEVICE_MAP of the pin, and the device's DMA. */
static int device_map_op(struct env *e)
{
	struct pinctl_device_map_result res = { .sz = sizeof(res) };
	int ret = pinctl_device_map(e->ctx, e->h, PINCTL_MAP_DEVICE_WRITES | PINCTL_MAP_DEVICE_READS, &res);

	e->dev = ret ? 0 : res.id;
	return ret;
}

static int device_setup(struct env *e)
{
	return pin_setup(e) ?: device_map_op(e);
}

static void device_undo(struct env *e)
{
	if (e->dev)
		pinctl_device_unmap(e->ctx, e->dev);
	e->dev = 0;
	unpin_undo(e);
}

static int device_dma_op(struct env *e)
{
	struct pinctl_device_transfer t = {
		.sz = sizeof(t), .op = PINCTL_DEVICE_FILL, .flags = PINCTL_DEVICE_DMA_SYNC,
		.len = 4 * PAGE, .seed = 5,
	};
	int ret = pinctl_device_dma(e->ctx, e->dev, &t);

	t.op = PINCTL_DEVICE_VERIFY;
	ret = ret ?: pinctl_device_dma(e->ctx, e->dev, &t);
	return ret ?: t.mismatches ? -EBADMSG : 0;
}

static int device_writer_op(struct env *e)
{
	int ret = pinctl_device_start(e->ctx, e->h, 0, 4 * PAGE, 3, 4, 0);

	return ret ?: pinctl_dma_stop(e->ctx, e->h, NULL, NULL);
}

static int unpin_op(struct env *e)
{
	return pinctl_unpin(e->ctx, e->h, PINCTL_UNPIN_DIRTY);
}

static void nothing(struct env *e)
{
	(void)e;
}

static int close_with_pins_op(struct env *e)
{
	close_undo(e);
	return 0;
}

struct step {
	const char *name;
	int (*setup)(struct env *e);
	int (*op)(struct env *e);
	void (*undo)(struct env *e);	/* after a successful op */
	void (*undo_failed)(struct env *e);
	int pins;			/* pins the op adds when it succeeds */
	int pages;			/* pages a failed op must leave unpinned */
	int on_memfd;			/* those pages: of the memfd, not of buf */
	int on_device;			/* needs the edu device bound */
};

static const struct step steps[] = {
	{ "open", NULL, open_op, close_undo, nothing, 0, 0, 0, 0 },
	{ "pin fast", open_ctx, pin_fast, unpin_undo, close_undo, 1, 4, 0, 0 },
	{ "pin locked", open_ctx, pin_locked, unpin_undo, close_undo, 1, 4, 0, 0 },
	{ "pin unlocked", open_ctx, pin_unlocked, unpin_undo, close_undo, 1, 4, 0, 0 },
	{ "pin longterm", open_ctx, pin_longterm, unpin_undo, close_undo, 1, 4, 0, 0 },
	{ "pin 600 pages", open_ctx, pin_big, unpin_undo, close_undo, 1, BIG, 0, 0 },
	{ "query", pin_setup, query_op, unpin_undo, unpin_undo, 0, 0, 0, 0 },
	{ "probe", pin_setup, probe_op, unpin_undo, unpin_undo, 0, 0, 0, 0 },
	{ "dma", pin_setup, dma_op, unpin_undo, unpin_undo, 0, 0, 0, 0 },
	{ "writer", pin_setup, writer_op, unpin_undo, unpin_undo, 0, 0, 0, 0 },
	{ "unpin", pin_setup, unpin_op, close_undo, unpin_undo, -1, 0, 0, 0 },
	{ "close with a pin", pin_setup, close_with_pins_op, nothing, nothing, -1, 0, 0, 0 },
	{ "pin memfd", pin_memfd_open, pin_memfd_op, unpin_undo, close_undo, 1, 4, 1, 0 },
	{ "unpin memfd", pin_memfd_setup, unpin_op, close_undo, unpin_undo, -1, 0, 1, 0 },
	{ "device map", pin_setup, device_map_op, device_undo, unpin_undo, 0, 0, 0, 1 },
	{ "device dma", device_setup, device_dma_op, device_undo, device_undo, 0, 0, 0, 1 },
	{ "device writer", device_setup, device_writer_op, device_undo, device_undo, 0, 0, 0, 1 },
	{ "unpin mapped", device_setup, unpin_op, close_undo, device_undo, -1, 0, 0, 1 },
};

static int documented(int err)
{
	return err == ENOMEM || err == EFAULT || err == EINTR;
}

/* The module's INFO, zeroed if it cannot be asked. */
static struct pinctl_info2 module_info(void)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };
	struct pinctl *c;

	if (pinctl_open(&c, NULL))
		return (struct pinctl_info2){ 0 };
	if (pinctl_info2(c, &info))
		info = (struct pinctl_info2){ 0 };
	pinctl_close(c);
	return info;
}

/* Sweeps one step; returns the number of faults it went through. */
static long sweep(const struct step *s, struct env *e)
{
	char nth[32];
	long n;

	for (n = 1; n < 100000; n++) {
		uint64_t pins0;
		long vmpin0, left;
		int ret;

		if (s->setup && s->setup(e)) {
			bad(e, s->name, n, "setup failed without faults", 0);
			return n;
		}
		pins0 = live_pins();
		vmpin0 = procfs_vmpin_kb();
		snprintf(nth, sizeof(nth), "%ld", n);
		procfs_write("/proc/thread-self/fail-nth", nth);
		ret = s->op(e);
		left = procfs_read_long("/proc/thread-self/fail-nth");
		procfs_write("/proc/thread-self/fail-nth", "0");

		if (ret && !documented(-ret))
			bad(e, s->name, n, "undocumented errno", ret);
		if (ret) {
			/* a failed step leaves everything as it was */
			if (live_pins() != pins0)
				bad(e, s->name, n, "live pins changed by a failed request",
				    (long)live_pins());
			if (procfs_vmpin_kb() != vmpin0)
				bad(e, s->name, n, "VmPin changed by a failed request", procfs_vmpin_kb());
			if (any_pinned(e->ctx, s->on_memfd ? e->mfile : e->buf, s->pages))
				bad(e, s->name, n, "a failed pin left a page pinned", ret);
			s->undo_failed(e);
		} else {
			if (live_pins() != pins0 + s->pins)
				bad(e, s->name, n, "live pins after success", (long)live_pins());
			s->undo(e);
		}
		if (live_pins() != 0)
			bad(e, s->name, n, "pins left after undo", (long)live_pins());
		if (left > 0) {
			/* the op reached fewer than n fault points: all swept */
			if (ret)
				bad(e, s->name, n, "failed with no fault injected", ret);
			return n - 1;
		}
	}
	bad(e, s->name, n, "did not converge", n);
	return n;
}

/* kmemleak entries whose backtrace names pintest; -1 without kmemleak. */
static int pintest_leaks(void)
{
	char line[512];
	int leaks = 0;
	FILE *f;

	if (procfs_write(DBG "kmemleak", "scan"))
		return -1;
	sleep(6);	/* an object must be unreferenced for 5 s */
	procfs_write(DBG "kmemleak", "scan");
	f = fopen(DBG "kmemleak", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[pintest]")) {
			printf("fault-sweep: kmemleak: %s", line);
			leaks++;
		}
	fclose(f);
	return leaks;
}

int main(void)
{
	struct env e = { 0 };
	struct pinctl_info2 info = module_info();
	int passed = 0, failed = 0, leaks;
	int device = info.device_path != PINCTL_DEVICE_NONE;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/proc/thread-self/fail-nth", W_OK)) {
		printf("fault-sweep: no /proc/thread-self/fail-nth: needs CONFIG_FAULT_INJECTION (make check-debug)\n");
		printf("fault-sweep: 0 passed, 1 failed\n");
		return 1;
	}
	/* both injectors may fail sleeping allocations and order-0 pages, quietly */
	if (procfs_write(DBG "failslab/ignore-gfp-wait", "N") ||
	    procfs_write(DBG "failslab/verbose", "0") ||
	    procfs_write(DBG "fail_page_alloc/ignore-gfp-wait", "N") ||
	    procfs_write(DBG "fail_page_alloc/min-order", "0") ||
	    procfs_write(DBG "fail_page_alloc/verbose", "0")) {
		printf("fault-sweep: cannot configure failslab/fail_page_alloc in debugfs\n");
		printf("fault-sweep: 0 passed, 1 failed\n");
		return 1;
	}
	e.buf = mmap(NULL, BIG * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (e.buf == MAP_FAILED)
		return 1;

	e.memfd = info.methods & PINCTL_PIN_MEMFD ? memfd_create("fault-sweep", MFD_CLOEXEC) : -1;
	if (e.memfd >= 0) {
		if (ftruncate(e.memfd, 4 * PAGE))
			return 1;
		e.mfile = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, e.memfd, 0);
		if (e.mfile == MAP_FAILED)
			return 1;
	}

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		long faults;

		if (steps[i].on_memfd && e.memfd < 0) {
			printf("fault-sweep: %-16s SKIP: the kernel has no memfd_pin_folios() (6.10+)\n",
			       steps[i].name);
			continue;
		}
		if (steps[i].on_device && !device) {
			printf("fault-sweep: %-16s SKIP: no edu device bound (vm/pintest-vm --device edu)\n",
			       steps[i].name);
			continue;
		}
		e.failed = 0;
		faults = sweep(&steps[i], &e);
		printf("fault-sweep: %-16s %4ld fault points, %s\n", steps[i].name, faults,
		       e.failed ? "FAILED" : "every failure clean");
		if (e.failed)
			failed++;
		else
			passed++;
	}
	if (procfs_vmpin_kb() != 0) {
		printf("fault-sweep: FAIL VmPin %ld kB after the sweep\n", procfs_vmpin_kb());
		failed++;
	}
	leaks = pintest_leaks();
	if (leaks < 0)
		printf("fault-sweep: SKIP kmemleak check: no kmemleak in debugfs\n");
	else if (leaks > 0)
		failed++;
	else
		printf("fault-sweep: kmemleak: nothing of pintest's leaked\n");
	printf("fault-sweep: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
