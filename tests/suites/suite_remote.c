// SPDX-License-Identifier: GPL-2.0
/*
 * PINTEST_PIN_REMOTE: pin_user_pages_remote() on a child's memory, the
 * child alive and waiting on a pipe.  The device's writes reach the
 * child, the child's writes reach the device, the pin is charged to the
 * caller, outlives the child's exit and leaves nothing behind at UNPIN
 * or close.  The module lets a tracer pin (PTRACE_SEIZE), or a process
 * its own memory; a process it does not trace, or one not dumpable by its
 * owner, is EPERM even to root.  Unprivileged callers are in
 * suite_security, bad pidfds in suite_errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt.h"

#define REMOTE_PAGES	8
#define SEED_CHILD	11	/* what the child wrote before the pin */
#define SEED_DEVICE	12	/* what the device writes into it */
#define SEED_LATER	13	/* what the child writes after the pin */

/* A child with REMOTE_PAGES of its own anonymous memory at @addr. */
struct child {
	pid_t pid;
	int pidfd;
	int cmd;		/* parent -> child: one byte a request, EOF ends it */
	int reply;		/* child -> parent: one byte an answer */
	char *addr;
};

/* The child's side: no ck_assert here, its exit status says what failed. */
static int child_serve(int cmd, int reply, int dumpable)
{
	size_t len = REMOTE_PAGES * PAGE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c, ok;

	if (p == MAP_FAILED)
		return 1;
	if (!dumpable && prctl(PR_SET_DUMPABLE, 0))
		return 2;
	pinctl_pattern_fill(p, 0, len, SEED_CHILD);
	if (write(reply, &p, sizeof(p)) != sizeof(p))
		return 3;
	while (read(cmd, &c, 1) == 1) {
		if (c == 'v')		/* has the device's pattern arrived? */
			ok = pinctl_pattern_check(p, 0, len, SEED_DEVICE, NULL) ? 'n' : 'y';
		else			/* 'w': write after the pin */
			pinctl_pattern_fill(p, 0, len, SEED_LATER), ok = 'y';
		if (write(reply, &ok, 1) != 1)
			return 4;
	}
	return 0;
}

static void child_start(struct child *ch, int dumpable)
{
	int down[2], up[2];

	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	ch->pid = fork();
	ck_assert_int_ge(ch->pid, 0);
	if (!ch->pid) {
		close(down[1]);
		close(up[0]);
		_exit(child_serve(down[0], up[1], dumpable));
	}
	close(down[0]);
	close(up[1]);
	ch->cmd = down[1];
	ch->reply = up[0];
	ck_assert_int_eq(read(ch->reply, &ch->addr, sizeof(ch->addr)),
			 sizeof(ch->addr));
	ch->pidfd = util_pidfd_open(ch->pid);
	ck_assert_int_ge(ch->pidfd, 0);
}

/* Asks the child to do @c; its answer. */
static char child_ask(struct child *ch, char c)
{
	char ok = 0;

	ck_assert_int_eq(write(ch->cmd, &c, 1), 1);
	ck_assert_int_eq(read(ch->reply, &ok, 1), 1);
	return ok;
}

/* Ends the child (EOF on its pipe) and reaps it; it must have exited 0. */
static void child_end(struct child *ch)
{
	int status;

	close(ch->cmd);
	ck_assert_int_eq(waitpid(ch->pid, &status, 0), ch->pid);
	ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the child failed (status %#x)", status);
	close(ch->reply);
	close(ch->pidfd);
}

static int pin_remote(struct pinctl *ctx, struct child *ch, unsigned int flags,
		      uint64_t *handle)
{
	struct pinctl_pin_result res = { .sz = sizeof(res), .pidfd = ch->pidfd };
	int ret = pinctl_pin2(ctx, ch->addr, REMOTE_PAGES * PAGE,
			      PINCTL_PIN_REMOTE | flags, &res);

	if (!ret) {
		ck_assert_uint_eq(res.npages, REMOTE_PAGES);
		ck_assert_int_eq(res.pidfd, ch->pidfd);	/* an input, kept */
		*handle = res.handle;
	}
	return ret;
}

/* The cases of child_pin: how it is pinned, and how it is let go. */
static const struct {
	const char *name;
	unsigned int flags;
	int close_instead;	/* close the descriptor, not UNPIN */
} remote_cases[] = {
	{ "write", PINCTL_PIN_WRITE, 0 },
	{ "write-longterm", PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, 0 },
	{ "read-only", 0, 0 },
	{ "write-close", PINCTL_PIN_WRITE, 1 },
};

#define NREMOTE ((int)(sizeof(remote_cases) / sizeof(remote_cases[0])))

/*
 * A traced child's memory, pinned: both ways the bytes cross, the pin
 * charged to the caller, kept past the child's exit, then released.
 */
START_TEST(child_pin)
{
	size_t len = REMOTE_PAGES * PAGE;
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, s;
	long vm0 = pt_vmpin_kb();
	uint64_t h, bad = 1;
	struct child ch;

	pt_stats(ctx, &s0);
	child_start(&ch, 1);
	ck_assert_int_eq(ptrace(PTRACE_SEIZE, ch.pid, 0, 0), 0);
	ck_assert_int_eq(pin_remote(ctx, &ch, remote_cases[_i].flags, &h), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins + 1);
	ck_assert_uint_eq(s.live_pages, s0.live_pages + REMOTE_PAGES);
	/* the caller pays, in its own VmPin */
	ck_assert_int_eq(pt_vmpin_kb(), vm0 + (long)(len >> 10));

	/* the device reads what the child wrote */
	ck_assert_int_eq(pinctl_dma_compare(ctx, h, 0, len, SEED_CHILD, &bad, NULL), 0);
	ck_assert_uint_eq(bad, 0);
	if (remote_cases[_i].flags & PINCTL_PIN_WRITE) {
		/* the child sees what the device wrote */
		ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, len, SEED_DEVICE), 0);
		ck_assert_int_eq(child_ask(&ch, 'v'), 'y');
	} else {
		ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, len, SEED_DEVICE), -EPERM);
	}
	/* the device sees what the child writes: the pin is the child's page */
	ck_assert_int_eq(child_ask(&ch, 'w'), 'y');
	ck_assert_int_eq(pinctl_dma_compare(ctx, h, 0, len, SEED_LATER, &bad, NULL), 0);
	ck_assert_uint_eq(bad, 0);

	/* the child goes; its pages stay pinned and hold its last bytes */
	child_end(&ch);
	ck_assert_int_eq(pinctl_dma_compare(ctx, h, 0, len, SEED_LATER, &bad, NULL), 0);
	ck_assert_uint_eq(bad, 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins + 1);

	if (remote_cases[_i].close_instead) {
		pinctl_close(ctx);
		ctx = pt_open();
	} else {
		ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	}
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/* A process's own memory through its own pidfd: no tracer needed. */
START_TEST(own_memory_by_pidfd)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	struct pinctl_stats s0;
	long vm0 = pt_vmpin_kb();
	char *buf = pt_anon(4 * PAGE);
	char got[8];

	pt_stats(ctx, &s0);
	memset(buf, 'S', 4 * PAGE);
	res.pidfd = util_pidfd_open(getpid());
	ck_assert_int_ge(res.pidfd, 0);
	ck_assert_int_eq(pinctl_pin2(ctx, buf, 4 * PAGE,
				     PINCTL_PIN_REMOTE | PINCTL_PIN_WRITE, &res), 0);
	ck_assert_int_eq(pinctl_dma_write(ctx, res.handle, PAGE, "remote!", 8), 0);
	ck_assert_str_eq(buf + PAGE, "remote!");
	ck_assert_int_eq(pinctl_dma_read(ctx, res.handle, 0, got, sizeof(got)), 0);
	ck_assert_int_eq(got[0], 'S');
	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, 0), 0);
	close(res.pidfd);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/*
 * Root may ptrace its child, but the module asks for the tracer itself:
 * not traced, EPERM; seized, the pin works.  A child that made itself
 * not dumpable is EPERM even to its tracer (the module cannot ask
 * ptracer_capable(), which is not exported).
 */
START_TEST(tracer_only_and_dumpable_only)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0;
	long vm0 = pt_vmpin_kb();
	struct child ch;
	uint64_t h;

	pt_stats(ctx, &s0);
	child_start(&ch, 1);
	ck_assert_int_eq(pin_remote(ctx, &ch, 0, &h), -EPERM);
	ck_assert_int_eq(ptrace(PTRACE_SEIZE, ch.pid, 0, 0), 0);
	ck_assert_int_eq(pin_remote(ctx, &ch, 0, &h), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	child_end(&ch);

	child_start(&ch, 0);
	ck_assert_int_eq(ptrace(PTRACE_SEIZE, ch.pid, 0, 0), 0);
	ck_assert_int_eq(pin_remote(ctx, &ch, 0, &h), -EPERM);
	child_end(&ch);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/* INFO offers REMOTE, long-term too, on every kernel. */
START_TEST(info_lists_remote)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;

	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	ck_assert_uint_ne(info.methods & PINCTL_PIN_REMOTE, 0);
	ck_assert_uint_ne(info.longterm_methods & PINCTL_PIN_REMOTE, 0);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_remote(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "remote", 60, &tc);

	PT_ADD(run, tc, info_lists_remote, nodev);
	for (int i = 0; i < NREMOTE; i++)
		pt_add(run, tc, child_pin, i, i + 1, remote_cases[i].name, nodev);
	PT_ADD(run, tc, own_memory_by_pidfd, nodev);
	PT_ADD(run, tc, tracer_only_and_dumpable_only, nodev);
	return s;
}
