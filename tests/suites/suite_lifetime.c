// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes and privileges: close() and exit release every pin, a forked
 * child shares the parent's handles, the module cannot be unloaded while
 * the device is open, RLIMIT_MEMLOCK binds callers without CAP_IPC_LOCK,
 * and the opener's CAP_SYS_ADMIN decides who sees page frame numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "procfs.h"
#include "pt.h"

static void assert_unpinned(struct pinctl *ctx, const char *buf, size_t len)
{
	struct pinctl_page p;

	for (size_t off = 0; off < len; off += PAGE) {
		ck_assert_int_eq(pinctl_probe(ctx, buf + off, PAGE, &p), 0);
		ck_assert_msg(!(p.flags & PINCTL_PAGE_MAYBE_DMA_PINNED),
			      "page at +%zu still pinned (refcount %u)", off,
			      p.refcount);
	}
}

START_TEST(close_releases_pins)
{
	struct pinctl *ctx = pt_open(), *other = pt_open();
	struct pinctl_stats s0, s;
	char *buf = pt_anon(8 * PAGE);
	uint64_t h;

	pt_stats(ctx, &s0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pinctl_pin(other, buf, 8 * PAGE,
					    PINCTL_PIN_WRITE, &h), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins + 4);
	ck_assert_uint_eq(s.live_pages, s0.live_pages + 32);
	pinctl_close(other);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.live_pages, s0.live_pages);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	assert_unpinned(ctx, buf, 8 * PAGE);
	pinctl_close(ctx);
}
END_TEST

/* Exits with a pin held, the fd open and, if @writer, a writer running. */
static int pin_and_exit(void *writer)
{
	struct pinctl *ctx = NULL;
	char *buf = pt_anon(16 * PAGE);
	uint64_t h;

	if (pinctl_open(&ctx, NULL) ||
	    pinctl_pin(ctx, buf, 16 * PAGE, PINCTL_PIN_WRITE, &h) ||
	    (writer && pinctl_dma_start(ctx, h, 0, 16 * PAGE, 4, 0, 0)))
		return 1;
	return 0;
}

START_TEST(exit_releases_pins)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, s;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pt_in_child(pin_and_exit, NULL), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.total_pins, s0.total_pins + 1);
	ck_assert_uint_eq(s.total_unpins, s0.total_unpins + 1);
	pinctl_close(ctx);
}
END_TEST

struct fork_arg {
	struct pinctl *ctx;
	uint64_t parent_handle;
	char *parent_buf;
};

/* The child shares the open file, so it sees and may use the parent's
 * handles; its own pins stay in the shared table after it exits. */
static int child_uses_shared_fd(void *p)
{
	struct fork_arg *a = p;
	struct pinctl_page page;
	char *mine = pt_anon(2 * PAGE);
	uint64_t h;

	if (pinctl_query(a->ctx, a->parent_handle, 0, 1, &page) ||
	    !(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED))
		return 1;
	/* the parent's pinned page stayed the parent's: DMA reaches it */
	if (pinctl_dma_fill(a->ctx, a->parent_handle, 0, PAGE, 77))
		return 2;
	if (pinctl_pin(a->ctx, mine, 2 * PAGE, PINCTL_PIN_WRITE, &h) ||
	    pinctl_dma_fill(a->ctx, h, 0, 2 * PAGE, 78))
		return 3;
	if (pinctl_pattern_check(mine, 0, 2 * PAGE, 78, NULL))
		return 4;
	return pt_vmpin_kb() == (long)(2 * PAGE / 1024) ? 0 : 5;
}

START_TEST(fork_shares_the_fd)
{
	struct fork_arg a = { .ctx = pt_open(), .parent_buf = pt_anon(PAGE) };
	struct pinctl_stats s0, s;

	pt_stats(a.ctx, &s0);
	ck_assert_int_eq(pinctl_pin(a.ctx, a.parent_buf, PAGE, PINCTL_PIN_WRITE,
				    &a.parent_handle), 0);
	ck_assert_int_eq(pt_in_child(child_uses_shared_fd, &a), 0);
	/* the child's DMA into the parent's pin is seen by the parent */
	ck_assert_uint_eq(pinctl_pattern_check(a.parent_buf, 0, PAGE, 77, NULL), 0);
	pt_stats(a.ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins + 2);
	pinctl_close(a.ctx);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	a.ctx = pt_open();
	pt_stats(a.ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	pinctl_close(a.ctx);
}
END_TEST

START_TEST(unload_refused_while_open)
{
	struct pinctl *ctx = pt_open();
	int ret;

	ck_assert_int_eq(pinctl_module_loaded(), 1);
	ret = pinctl_module_unload();
	ck_assert_msg(ret == -EAGAIN, "unload while open: %d (%s)", ret,
		      strerror(-ret));
	ck_assert_int_eq(pinctl_module_loaded(), 1);
	/* the harness loaded it from the tree, in the repository root */
	ck_assert_int_eq(pinctl_module_load("driver/pintest.ko"), -EEXIST);
	pinctl_close(ctx);
}
END_TEST

/* As nobody, without CAP_IPC_LOCK: 16 pages may be pinned, not 17. */
static int memlock_as_nobody(void *p)
{
	struct pinctl *ctx = p;
	struct rlimit lim = { 16 * PAGE, 16 * PAGE };
	char *buf = pt_anon(32 * PAGE);
	uint64_t h1, h2;

	if (setrlimit(RLIMIT_MEMLOCK, &lim) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	if (pinctl_pin(ctx, buf, 12 * PAGE, PINCTL_PIN_WRITE, &h1))
		return 1;
	if (pt_vmpin_kb() != (long)(12 * PAGE / 1024))
		return 2;
	if (pinctl_pin(ctx, buf, 5 * PAGE, 0, &h2) != -ENOMEM)
		return 3;
	if (pt_vmpin_kb() != (long)(12 * PAGE / 1024))
		return 4;	/* a refused pin is not charged */
	if (pinctl_pin(ctx, buf + 12 * PAGE, 4 * PAGE, 0, &h2))
		return 5;	/* exactly at the limit is fine */
	if (pinctl_unpin(ctx, h1, 0) || pinctl_unpin(ctx, h2, 0))
		return 6;
	return pt_vmpin_kb() == 0 ? 0 : 7;
}

START_TEST(memlock_limit_without_cap_ipc_lock)
{
	struct pinctl *ctx = pt_open();

	ck_assert_int_eq(pt_in_child(memlock_as_nobody, ctx), 0);
	pinctl_close(ctx);
}
END_TEST

START_TEST(cap_ipc_lock_bypasses_memlock)
{
	struct pinctl *ctx = pt_open();
	struct rlimit lim = { PAGE, PAGE };
	char *buf = pt_anon(8 * PAGE);
	uint64_t h;

	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &lim), 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, 8 * PAGE, 0, &h), 0);
	ck_assert_int_eq(pt_vmpin_kb(), 8 * PAGE / 1024);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

/* As nobody, through the descriptor root opened and shared by fork. */
static int pfn_as_nobody(void *p)
{
	struct pinctl *ctx = p;
	struct pinctl_page page;
	char *buf = pt_anon(PAGE);
	uint64_t h;

	if (setgid(NOBODY) || setuid(NOBODY))
		return 10;
	if (pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h) ||
	    pinctl_query(ctx, h, 0, 1, &page))
		return 1;
	if (page.pfn == 0 || !(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED))
		return 2;
	if (pinctl_probe(ctx, buf, PAGE, &page) || page.pfn == 0)
		return 3;
	return 0;
}

/*
 * As with /proc/PID/pagemap, the opener's CAP_SYS_ADMIN decides, once at
 * open(): a descriptor root opened shows PFNs to whoever it is handed to.
 * The converse is in suite_security.
 */
START_TEST(pfn_shown_by_the_openers_right)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page page;
	char *buf = pt_anon(PAGE);
	uint64_t h;

	ck_assert_int_eq(pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, 1, &page), 0);
	ck_assert_uint_ne(page.pfn, 0);
	ck_assert_int_eq(pt_in_child(pfn_as_nobody, ctx), 0);
	pinctl_close(ctx);
}
END_TEST

/* munmap does not free pinned memory: the device still reaches it. */
START_TEST(munmap_while_pinned)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page page;
	char *buf = pt_anon(4 * PAGE);
	uint64_t h;

	ck_assert_int_eq(pinctl_pin(ctx, buf, 4 * PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(munmap(buf, 4 * PAGE), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 2, 1, &page), 0);
	ck_assert_int_eq(page.mapcount, 0);
	ck_assert(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED);
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, 4 * PAGE, 5), 0);
	ck_assert_int_eq(pinctl_dma_verify(ctx, h, 0, 4 * PAGE, 5), 0);
	ck_assert_int_eq(pinctl_probe(ctx, buf, PAGE, &page), 0);
	ck_assert(!(page.flags & PINCTL_PAGE_PRESENT));
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	pinctl_close(ctx);
}
END_TEST

/*
 * The in-flight writer stops with its pin, in whatever order things go:
 * its own count, DMA_STOP, UNPIN without a stop, munmap first, close()
 * and process exit, each while it is still writing.
 */
START_TEST(writer_count_and_stop)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(4 * PAGE);
	uint64_t h, passes, bytes;
	struct pinctl_stats s0;
	int ret, tries;

	ck_assert_int_eq(pinctl_pin(ctx, buf, 4 * PAGE, PINCTL_PIN_WRITE, &h), 0);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_dma_start(ctx, h, PAGE, 2 * PAGE, 11, 3, 0), 0);
	pt_wait_dma_bytes(ctx, &s0, 3 * 2 * PAGE);	/* the 3 passes */
	ck_assert_int_eq(pinctl_dma_stop(ctx, h, &passes, &bytes), 0);
	ck_assert_uint_eq(passes, 3);		/* and not one more */
	ck_assert_uint_eq(bytes, 3 * 2 * PAGE);
	ck_assert_uint_eq(pinctl_pattern_check(buf + PAGE, PAGE, 2 * PAGE, 11, NULL), 0);
	ck_assert_int_eq(buf[0], 0);			/* outside the span */
	ck_assert_int_eq(buf[3 * PAGE], 0);
	/* a time-bounded writer ends by itself; a new one may then start */
	ck_assert_int_eq(pinctl_dma_start(ctx, h, 0, PAGE, 12, 0, 50), 0);
	for (tries = 0; tries < 100; tries++) {
		ret = pinctl_dma_start(ctx, h, 0, PAGE, 12, 1, 0);
		if (ret != -EBUSY)
			break;
		usleep(50 * 1000);
	}
	ck_assert_msg(ret == 0, "a 50 ms writer still ran after 5 s: %d", ret);
	ck_assert_int_eq(pinctl_dma_stop(ctx, h, NULL, NULL), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

START_TEST(unpin_and_close_stop_a_running_writer)
{
	struct pinctl *ctx = pt_open(), *other = pt_open();
	char *buf = pt_anon(8 * PAGE);
	struct pinctl_stats s0, s;
	uint64_t h1, h2;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, 8 * PAGE, PINCTL_PIN_WRITE, &h1), 0);
	ck_assert_int_eq(pinctl_dma_start(ctx, h1, 0, 8 * PAGE, 1, 0, 0), 0);
	ck_assert_int_eq(munmap(buf, 8 * PAGE), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h1, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_int_eq(pinctl_dma_stop(ctx, h1, NULL, NULL), -ENOENT);

	buf = pt_anon(8 * PAGE);
	ck_assert_int_eq(pinctl_pin(other, buf, 8 * PAGE, PINCTL_PIN_WRITE, &h2), 0);
	ck_assert_int_eq(pinctl_dma_start(other, h2, 0, 8 * PAGE, 2, 0, 0), 0);
	pinctl_close(other);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	/* nothing writes into the freed pages: a new pattern survives */
	pinctl_pattern_fill(buf, 0, 8 * PAGE, 3);
	usleep(100 * 1000);
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, 8 * PAGE, 3, NULL), 0);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	pinctl_close(ctx);
}
END_TEST

/* Waits until a writer of @h ended by itself and a new one could start. */
static int restart_when_ended(struct pinctl *ctx, uint64_t h)
{
	int ret = -EBUSY;

	for (int tries = 0; tries < 200 && ret == -EBUSY; tries++) {
		ret = pinctl_dma_start(ctx, h, 0, PAGE, 12, 1, 0);
		if (ret == -EBUSY)
			usleep(50 * 1000);
	}
	return ret;
}

#define PARAM "/sys/module/pintest/parameters/"

/*
 * One descriptor runs at most max_writers writers (ENOSPC past that),
 * another descriptor has its own; and a writer started with neither a
 * count nor a duration ends after writer_max_ms by itself.  Whatever the
 * module was loaded with, both parameters are put back, also when a
 * check fails.
 */
START_TEST(writers_are_bounded)
{
	long max0 = procfs_read_long(PARAM "max_writers");
	long ms0 = procfs_read_long(PARAM "writer_max_ms");
	struct pinctl *ctx = pt_open(), *other = pt_open(), *third = pt_open();
	char *buf = pt_anon(4 * PAGE);
	uint64_t h[4], h2, h3;
	char why[256] = "";
	int put_back;

	ck_assert_msg(max0 >= 0 && ms0 >= 0, "%s unreadable", PARAM);
	PT_EXPECT_EQ(procfs_write_long(PARAM "max_writers", 3), 0, why, out);
	for (int i = 0; i < 4; i++)
		PT_EXPECT_EQ(pinctl_pin(ctx, buf + i * PAGE, PAGE,
					PINCTL_PIN_WRITE, &h[i]), 0, why, out);
	for (int i = 0; i < 3; i++)
		PT_EXPECT_EQ(pinctl_dma_start(ctx, h[i], 0, PAGE, i, 0, 0), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(ctx, h[3], 0, PAGE, 3, 0, 0), -ENOSPC, why, out);
	PT_EXPECT_EQ(pinctl_pin(other, buf, PAGE, PINCTL_PIN_WRITE, &h2), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(other, h2, 0, PAGE, 4, 0, 0), 0, why, out);
	/* a stopped writer, and an unpinned range's, give their place back */
	PT_EXPECT_EQ(pinctl_dma_stop(ctx, h[0], NULL, NULL), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(ctx, h[3], 0, PAGE, 3, 0, 0), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(ctx, h[0], 0, PAGE, 0, 0, 0), -ENOSPC, why, out);
	PT_EXPECT_EQ(pinctl_unpin(ctx, h[1], 0), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(ctx, h[0], 0, PAGE, 0, 0, 0), 0, why, out);

	PT_EXPECT_EQ(procfs_write_long(PARAM "writer_max_ms", 100), 0, why, out);
	PT_EXPECT_EQ(pinctl_pin(third, buf, PAGE, PINCTL_PIN_WRITE, &h3), 0, why, out);
	PT_EXPECT_EQ(pinctl_dma_start(third, h3, 0, PAGE, 5, 0, 0), 0, why, out);
	/* EBUSY: a writer without limits ran past writer_max_ms (10 s) */
	PT_EXPECT_EQ(restart_when_ended(third, h3), 0, why, out);
out:
	/* closing stops every writer of the descriptor */
	pinctl_close(third);
	pinctl_close(other);
	pinctl_close(ctx);
	put_back = !procfs_write_long(PARAM "max_writers", max0) &&
		   !procfs_write_long(PARAM "writer_max_ms", ms0);
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_msg(put_back, "could not put back max_writers=%ld writer_max_ms=%ld",
		      max0, ms0);
}
END_TEST

/*
 * A PIN whose answer cannot be written back (the struct sits in a
 * read-only page) fails with EFAULT, holds nothing and frees its handle:
 * the next PIN of the descriptor gets the same number.
 */
START_TEST(pin_reply_that_cannot_be_copied_out)
{
	struct pinctl *ctx = pt_open();
	struct pintest_pin *cmd = (void *)pt_anon(PAGE);
	char *buf = pt_anon(2 * PAGE);
	struct pinctl_stats s0, s;
	uint64_t h;

	*cmd = (struct pintest_pin){
		.size = sizeof(*cmd), .flags = PINTEST_PIN_WRITE,
		.addr = (uintptr_t)buf, .length = 2 * PAGE,
	};
	ck_assert_int_eq(mprotect(cmd, PAGE, PROT_READ), 0);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(ioctl(pinctl_fd(ctx), PINTEST_IOC_PIN, cmd), -1);
	ck_assert_int_eq(errno, EFAULT);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.total_pins, s0.total_pins);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, 2 * PAGE, 0, &h), 0);
	ck_assert_uint_eq(h, 1);
	pinctl_close(ctx);
}
END_TEST

/* Pins 256 MiB again and again until it is killed; says when it starts. */
static void pin_until_killed(int ready)
{
	size_t len = 256UL << 20;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct pinctl *ctx = NULL;
	uint64_t h;

	if (buf == MAP_FAILED || pinctl_open(&ctx, NULL) || write(ready, "x", 1) != 1)
		_exit(1);
	for (int i = 0; i < 64; i++)
		if (pinctl_pin(ctx, buf, len, 0, &h))
			_exit(2);
	_exit(3);	/* never killed */
}

/*
 * SIGKILL during long pins (the module checks for it between chunks of
 * 512 pages, and gives up with EINTR): the process dies, and whatever it
 * had pinned, or was pinning, is released.
 */
START_TEST(kill_during_a_long_pin)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, s;
	int p[2], status;
	pid_t pid;
	char c;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		pin_until_killed(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	usleep(100 * 1000);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "the pinning child was not killed (status %#x)", status);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.live_pages, s0.live_pages);
	ck_assert_uint_eq(s.total_pins - s0.total_pins, s.total_unpins - s0.total_unpins);
	close(p[0]);
	close(p[1]);
	pinctl_close(ctx);
}
END_TEST

START_TEST(exit_stops_a_running_writer)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, s;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pt_in_child(pin_and_exit, "writer"), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.live_pages, s0.live_pages);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_lifetime(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (setuid to nobody, drop_caches)" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "lifetime", 120, &tc);

	PT_ADD(run, tc, close_releases_pins, nodev);
	PT_ADD(run, tc, exit_releases_pins, nodev);
	PT_ADD(run, tc, fork_shares_the_fd, nodev);
	PT_ADD(run, tc, unload_refused_while_open, nodev);
	PT_ADD(run, tc, munmap_while_pinned, nodev);
	PT_ADD(run, tc, writer_count_and_stop, nodev);
	PT_ADD(run, tc, unpin_and_close_stop_a_running_writer, nodev);
	PT_ADD(run, tc, exit_stops_a_running_writer, nodev);
	PT_ADD(run, tc, writers_are_bounded, nodev ?: noroot);
	PT_ADD(run, tc, pin_reply_that_cannot_be_copied_out, nodev);
	PT_ADD(run, tc, kill_during_a_long_pin, nodev);
	PT_ADD(run, tc, memlock_limit_without_cap_ipc_lock, nodev ?: noroot);
	PT_ADD(run, tc, cap_ipc_lock_bypasses_memlock, nodev ?: noroot);
	PT_ADD(run, tc, pfn_shown_by_the_openers_right, nodev ?: noroot);
	return s;
}
