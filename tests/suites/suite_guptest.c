// SPDX-License-Identifier: GPL-2.0
/*
 * pintest's /sys/kernel/debug/gup_test, on kernels without their own
 * (CONFIG_GUP_TEST): the requests of mm/gup_test.h pin and release as the
 * kernel's do, PIN_LONGTERM_TEST_READ sees what the process wrote, the
 * pins go with STOP or close, and bad requests get the kernel's errno, but
 * for FOLL_FORCE, which pintest's refuses (EINVAL) and the kernel's passes
 * on to pin_user_pages().  Where the kernel has its own, pintest must leave
 * it alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pintest_gup_test.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

/* pintest's, beside the kernel's own or where the kernel has none */
#define GUP_TEST "/sys/kernel/debug/pintest/gup_test"
#define NPAGES 16
#define FOLL_WRITE 0x01
/* FOLL_FORCE: 0x10 before 6.3, then bit 3 */
#define FOLL_FORCE (pt_running_kernel() < KV(6, 3) ? 0x10 : 0x08)

static int gup_open(void)
{
	int fd = open(GUP_TEST, O_RDWR);

	ck_assert_msg(fd >= 0, GUP_TEST ": %s", strerror(errno));
	return fd;
}

static int request(int fd, unsigned long cmd, struct gup_test *g)
{
	return ioctl(fd, cmd, g) ? -errno : 0;
}

static struct gup_test gup_of(const void *addr, size_t len, unsigned int flags)
{
	return (struct gup_test){ .addr = (uintptr_t)addr, .size = len,
				  .nr_pages_per_call = 4, .gup_flags = flags };
}

/* Every get and pin request covers the range and leaves nothing pinned. */
START_TEST(requests_cover_the_range)
{
	static const unsigned long cmds[] = {
		GUP_FAST_BENCHMARK, PIN_FAST_BENCHMARK, PIN_LONGTERM_BENCHMARK,
		GUP_BASIC_TEST, PIN_BASIC_TEST,
	};
	char *buf = pt_anon(NPAGES * PAGE);
	long vm0 = pt_vmpin_kb();
	int fd = gup_open();

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct gup_test g = gup_of(buf, NPAGES * PAGE, FOLL_WRITE);

		ck_assert_int_eq(request(fd, cmds[i], &g), 0);
		ck_assert_msg(g.size == NPAGES * PAGE, "request %zu covered %llu bytes",
			      i, (unsigned long long)g.size);
		ck_assert_int_eq(pt_vmpin_kb(), vm0);
	}
	close(fd);
}
END_TEST

/* A range that cannot be had is no error: it covers nothing. */
START_TEST(an_unmapped_range_covers_nothing)
{
	char *buf = pt_anon(NPAGES * PAGE);
	struct gup_test g = gup_of(buf, NPAGES * PAGE, 0);
	int fd = gup_open();

	ck_assert_int_eq(munmap(buf, NPAGES * PAGE), 0);
	ck_assert_int_eq(request(fd, PIN_BASIC_TEST, &g), 0);
	ck_assert_uint_eq(g.size, 0);
	close(fd);
}
END_TEST

/*
 * PIN_LONGTERM_TEST: a long-term pin that READ copies out, seeing what
 * the process wrote after START; STOP releases it, close too.
 */
START_TEST(longterm_pin_reads_the_process_writes)
{
	struct pin_longterm_test args = { 0 };
	char *buf = pt_anon(4 * PAGE), *back = malloc(4 * PAGE);
	uint64_t uaddr = (uintptr_t)back;
	long vm0 = pt_vmpin_kb();
	int fd = gup_open();

	args.addr = (uintptr_t)buf;
	args.size = 4 * PAGE;
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE;
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_START, &args), 0);
	ck_assert_int_eq(pt_vmpin_kb(), vm0 + 4 * PAGE / 1024);
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_START, &args), -1);
	ck_assert_int_eq(errno, EINVAL);	/* one at a time */
	memset(buf, 0x3c, 4 * PAGE);
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_READ, &uaddr), 0);
	ck_assert_int_eq(util_span_of(back, 4 * PAGE, 0x3c), 4 * PAGE);
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_STOP), 0);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_READ, &uaddr), -1);
	ck_assert_int_eq(errno, EINVAL);	/* nothing pinned */

	/* close releases what STOP did not */
	args.flags = PIN_LONGTERM_TEST_FLAG_USE_FAST;
	ck_assert_int_eq(ioctl(fd, PIN_LONGTERM_TEST_START, &args), 0);
	close(fd);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	free(back);
}
END_TEST

/* A long-term writable pin of a shared ext4 file mapping: EFAULT (6.5+). */
START_TEST(longterm_write_pin_of_a_shared_file)
{
	struct pin_longterm_test args = { .size = 4 * PAGE,
					   .flags = PIN_LONGTERM_TEST_FLAG_USE_WRITE };
	struct test_mem m;
	int fd = gup_open(), ret;

	mem_create(&m, MEM_EXT4, 4 * PAGE);
	args.addr = (uintptr_t)m.addr;
	ret = ioctl(fd, PIN_LONGTERM_TEST_START, &args) ? errno : 0;
	ck_assert_int_eq(ret, pt_running_kernel() < KV(6, 5) ? 0 : EFAULT);
	ioctl(fd, PIN_LONGTERM_TEST_STOP);
	mem_destroy(&m);
	close(fd);
}
END_TEST

struct bad {
	const char *name;
	int expect;
};

/*
 * Each with a fresh mapping.  The kernel's gup_test answers the same but for
 * row 0: it hands gup_flags to pin_user_pages() as they come, FOLL_FORCE
 * included, and pins; pintest's refuses FOLL_FORCE (driver/guptest.c).
 */
static int bad_request(int fd, int row, char *buf)
{
	struct pin_longterm_test lt = { .addr = (uintptr_t)buf, .size = PAGE };
	struct gup_test g = gup_of(buf, PAGE, 0);
	uint64_t uaddr = (uintptr_t)buf;

	switch (row) {
	case 0:	/* FOLL_FORCE: pintest never forces (the kernel's pins) */
		g.gup_flags = FOLL_FORCE;
		return request(fd, PIN_BASIC_TEST, &g);
	case 1:	/* addr + size wraps */
		g.addr = ~0ULL - PAGE;
		g.size = 2 * PAGE;
		return request(fd, PIN_BASIC_TEST, &g);
	case 2:
		return ioctl(fd, _IOWR('g', 42, struct gup_test), &g) ? -errno : 0;
	case 3:
		return ioctl(fd, PIN_BASIC_TEST, (void *)8) ? -errno : 0;
	case 4:
		lt.flags = 4;
		break;
	case 5:
		lt.addr += 1;
		break;
	case 6:
		lt.size = 0;
		break;
	case 7:
		return ioctl(fd, PIN_LONGTERM_TEST_READ, &uaddr) ? -errno : 0;
	default:
		return ioctl(fd, PIN_LONGTERM_TEST_START, (void *)8) ? -errno : 0;
	}
	return ioctl(fd, PIN_LONGTERM_TEST_START, &lt) ? -errno : 0;
}

/*
 * expect: an errno; WRAPS: a wrapping range's (EINVAL from 7.0, else 0);
 * LONGTERM_EFAULT: EFAULT from 6.2, EINVAL (no such ioctl) before
 */
#define WRAPS -1
#define LONGTERM_EFAULT -2
static const struct bad bad_rows[] = {
	{ "FOLL_FORCE", EINVAL },
	{ "range wraps", WRAPS },
	{ "unknown ioctl", EINVAL },
	{ "bad struct pointer", EFAULT },
	{ "long-term: unknown flag", EINVAL },
	{ "long-term: unaligned", EINVAL },
	{ "long-term: no size", EINVAL },
	{ "long-term: READ with nothing pinned", EINVAL },
	{ "long-term: bad struct pointer", LONGTERM_EFAULT },
};

START_TEST(bad_requests)
{
	const struct bad *b = &bad_rows[_i];
	char *buf = pt_anon(PAGE);
	long vm0 = pt_vmpin_kb();
	int expect = b->expect, fd = gup_open(), ret = bad_request(fd, _i, buf);

	if (expect == WRAPS)
		expect = pt_running_kernel() >= KV(7, 0) ? EINVAL : 0;
	else if (expect == LONGTERM_EFAULT)
		expect = pt_running_kernel() >= KV(6, 2) ? EFAULT : EINVAL;

	ck_assert_msg(ret == -expect, "%s: %s, want %s", b->name,
		      strerror(-ret), strerror(expect));
	close(fd);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
}
END_TEST

/* Root only, as the kernel's debugfs file. */
static int open_as_nobody(void *unused)
{
	(void)unused;
	if (setuid(NOBODY))
		return 100;
	return open(GUP_TEST, O_RDWR) < 0 ? errno : 0;
}

START_TEST(root_only)
{
	ck_assert_int_eq(pt_in_child(open_as_nobody, NULL), EACCES);
}
END_TEST

/* Why pintest's gup_test is not here to test, or NULL. */
static const char *gup_test_missing(void)
{
	char mode[16] = "";
	FILE *f;

	if (pt_device_missing())
		return pt_device_missing();
	if (getuid())
		return "needs root (debugfs)";
	f = fopen("/sys/module/pintest/parameters/gup_test", "r");
	if (!f || !fgets(mode, sizeof(mode), f))
		mode[0] = 0;
	if (f)
		fclose(f);
	if (!strncmp(mode, "off", 3))
		return "pintest was loaded with gup_test=off";
	return access(GUP_TEST, F_OK) ?
	       "no " GUP_TEST ": the kernel has its own (gup_test=on puts pintest's beside it)" :
	       NULL;
}

Suite *suite_guptest(struct pt_run *run)
{
	const char *skip = gup_test_missing();
	const char *nolongterm = skip ?: pt_running_kernel() < KV(6, 2) ?
				 "the kernel's gup_test has PIN_LONGTERM_TEST from 6.2" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "guptest", 120, &tc);

	PT_ADD(run, tc, requests_cover_the_range, skip);
	PT_ADD(run, tc, an_unmapped_range_covers_nothing, skip);
	PT_ADD(run, tc, longterm_pin_reads_the_process_writes, nolongterm);
	PT_ADD(run, tc, longterm_write_pin_of_a_shared_file,
	       nolongterm ?: mem_unavailable(MEM_EXT4));
	pt_add(run, tc, bad_requests, 0, sizeof(bad_rows) / sizeof(bad_rows[0]),
	       NULL, skip);
	PT_ADD(run, tc, root_only, skip);
	return s;
}
