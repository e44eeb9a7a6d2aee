// SPDX-License-Identifier: GPL-2.0
/*
 * Requests to pintest's gup_test interface (driver/guptest.c), from every
 * thread at once: the mm/gup_test.h requests and the long-term pin's
 * START, READ and STOP, on the chaos arena or beside it, with random
 * chunk sizes, FOLL_* bits (FOLL_FORCE among them) and flags, each on a
 * descriptor of its own that is closed after a few, with or without a
 * STOP.  Every answer must be a documented errno; READ copies into the
 * sink, which holds the longest pin START may take here.  A process that
 * cannot open the file (not root, or gup_test=off) does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pintest_gup_test.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz_worker.h"
#include "util.h"

#define GUP_TEST "/sys/kernel/debug/pintest/gup_test"
#define LONGTERM_MAX_PAGES 16	/* within SINK_PAGES */

static const unsigned long gup_cmds[] = {
	GUP_FAST_BENCHMARK, PIN_FAST_BENCHMARK, PIN_LONGTERM_BENCHMARK,
	GUP_BASIC_TEST, PIN_BASIC_TEST, DUMP_USER_PAGES_TEST,
	PIN_LONGTERM_TEST_START, PIN_LONGTERM_TEST_STOP, PIN_LONGTERM_TEST_READ,
	_IOWR('g', 42, struct gup_test),
};

/* Somewhere in or just past the chaos arena, now and then not aligned. */
static uint64_t gup_addr(struct worker *w)
{
	uint64_t addr = (uintptr_t)w->chaos + fuzz_below(w, ARENA_PAGES + 4) * PAGE;

	return fuzz_chance(w, 5) ? addr + fuzz_below(w, PAGE) : addr;
}

static int gup_request(struct worker *w, int fd, unsigned long cmd)
{
	struct gup_test g = {
		.addr = gup_addr(w),
		.size = fuzz_below(w, ARENA_PAGES * PAGE + 1),
		.nr_pages_per_call = fuzz_below(w, 70),
		.gup_flags = fuzz_chance(w, 70) ? fuzz_below(w, 2) : fuzz_next(&w->rng),
		.test_flags = fuzz_below(w, 2),
	};
	struct pin_longterm_test lt = {
		.addr = gup_addr(w),
		.size = (1 + fuzz_below(w, LONGTERM_MAX_PAGES)) * PAGE -
			(fuzz_chance(w, 5) ? 1 : 0),
		.flags = fuzz_chance(w, 90) ? fuzz_below(w, 4) : fuzz_next(&w->rng),
	};
	uint64_t dst = (uintptr_t)w->sink;

	/* a dump now and then: it goes to the kernel log */
	if (cmd == DUMP_USER_PAGES_TEST && fuzz_chance(w, 10))
		g.which_pages[0] = fuzz_below(w, ARENA_PAGES + 2);
	switch (cmd) {
	case PIN_LONGTERM_TEST_START:
		return fuzz_raw(fd, cmd, &lt);
	case PIN_LONGTERM_TEST_STOP:
		return fuzz_raw(fd, cmd, NULL);
	case PIN_LONGTERM_TEST_READ:
		return fuzz_raw(fd, cmd, &dst);
	default:
		return fuzz_raw(fd, cmd, &g);
	}
}

void fuzz_op_gup(struct worker *w)
{
	int fd = open(GUP_TEST, O_RDWR | O_CLOEXEC), n = 1 + fuzz_below(w, 4);

	if (fd < 0)
		return;
	while (n--) {
		unsigned long cmd = gup_cmds[fuzz_below(w, sizeof(gup_cmds) /
							  sizeof(gup_cmds[0]))];

		fuzz_note(w, "gup_test", gup_request(w, fd, cmd));
	}
	if (fuzz_chance(w, 50))
		fuzz_note(w, "gup_test stop", fuzz_raw(fd, PIN_LONGTERM_TEST_STOP, NULL));
	close(fd);
}
