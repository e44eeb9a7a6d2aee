// SPDX-License-Identifier: GPL-2.0
/*
 * The module's interfaces besides the ioctls: the counters in sysfs say
 * what STATS says, and the debugfs baselines of make bench (memcpy,
 * usercopy) do what they say and refuse what they cannot do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

#define STATS_DIR "/sys/class/misc/pintest/stats/"
#define MEMCPY "/sys/kernel/debug/pintest/memcpy"

START_TEST(sysfs_counters_are_stats)
{
	static const char *const names[] = {
		"live_pins", "live_pages", "total_pins", "total_pages",
		"total_unpins", "errors", "dma_bytes", "bookkeeping_bytes",
	};
	struct pinctl *ctx = pt_open();
	struct pinctl_stats2 s = { .sz = sizeof(s) };
	char *buf = pt_anon(4 * PAGE), path[128];
	uint64_t h;
	long v[8];

	/* a pin held, so that no counter is trivially 0; nothing else runs */
	ck_assert_int_eq(pinctl_pin(ctx, buf, 4 * PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, PAGE, 1), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), STATS_DIR "%s", names[i]);
		v[i] = procfs_read_long(path);
		ck_assert_msg(v[i] >= 0, "%s unreadable", path);
	}
	ck_assert_int_eq(pinctl_stats2(ctx, &s), 0);
	ck_assert_int_eq(v[0], s.live_pins);
	ck_assert_int_eq(v[1], s.live_pages);
	ck_assert_int_eq(v[2], s.total_pins);
	ck_assert_int_eq(v[3], s.total_pages);
	ck_assert_int_eq(v[4], s.total_unpins);
	ck_assert_int_eq(v[5], s.errors);
	ck_assert_int_eq(v[6], s.dma_bytes);
	ck_assert_int_eq(v[7], s.bookkeeping_bytes);
	ck_assert_int_ge(v[0], 1);
	ck_assert_int_ge(v[6], PAGE);
	ck_assert_int_gt(v[7], 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

START_TEST(debugfs_memcpy_baseline)
{
	unsigned long long bytes = 0, ns = 0;
	FILE *f;

	ck_assert_int_eq(procfs_write(MEMCPY, "65536"), 0);
	f = fopen(MEMCPY, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%llu %llu", &bytes, &ns), 2);
	fclose(f);
	ck_assert_uint_eq(bytes, 65536);
	ck_assert_uint_gt(ns, 0);
	ck_assert_int_eq(procfs_write(MEMCPY, "0"), -EINVAL);
	ck_assert_int_eq(procfs_write(MEMCPY, "268435457"), -EINVAL);	/* 256 MiB + 1 */
	ck_assert_int_eq(procfs_write(MEMCPY, "many"), -EINVAL);
}
END_TEST

#define USERCOPY "/sys/kernel/debug/pintest/usercopy"

/* The bench's other baseline: page-sized copies to and from a buffer. */
START_TEST(debugfs_usercopy_baseline)
{
	unsigned long long v[4];
	char *buf = pt_anon(3 * PAGE), line[128];
	int fd = open(USERCOPY, O_RDWR);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	memset(buf, 0xa5, 3 * PAGE);
	/* a kernel buffer of zeros, copied out a page and a half at a time */
	ck_assert_int_eq(read(fd, buf, PAGE + PAGE / 2), PAGE + PAGE / 2);
	for (size_t i = 0; i < PAGE + PAGE / 2; i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_int_eq((unsigned char)buf[PAGE + PAGE / 2], 0xa5);
	ck_assert_int_eq(write(fd, buf, 2 * PAGE), 2 * PAGE);
	ck_assert_int_eq(read(fd, buf, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(munmap(buf + 2 * PAGE, PAGE), 0);
	ck_assert_int_eq(read(fd, buf, 3 * PAGE), -1);		/* runs off the end */
	ck_assert_int_eq(errno, EFAULT);
	close(fd);

	f = fopen(USERCOPY "_ns", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_int_eq(sscanf(line, "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]), 4);
	ck_assert_uint_eq(v[0], PAGE + PAGE / 2);	/* the failed read left no figure */
	ck_assert_uint_gt(v[1], 0);
	ck_assert_uint_eq(v[2], 2 * PAGE);
	ck_assert_uint_gt(v[3], 0);
}
END_TEST

Suite *suite_interfaces(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *nodebugfs = access(MEMCPY, W_OK) ?
				"no " MEMCPY " (debugfs not mounted, or not root)" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "interfaces", 60, &tc);

	PT_ADD(run, tc, sysfs_counters_are_stats, nodev);
	PT_ADD(run, tc, debugfs_memcpy_baseline, nodev ?: nodebugfs);
	PT_ADD(run, tc, debugfs_usercopy_baseline, nodev ?: nodebugfs);
	return s;
}
