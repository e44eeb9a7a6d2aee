// SPDX-License-Identifier: GPL-2.0
/*
 * For tests/shell/harness-selftest only (PINTEST_KMSG_SELFTEST=1): a case that
 * passes by itself but makes the kernel log a WARNING: line.  The kernel-log
 * check that START_TEST (pt.h) wraps around every body, pt_case_end() in
 * pt_run.c, must fail it, and vm/pintest-vm (vm/judge-kmsg) must
 * name it as the case running when the report came.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "pt.h"

START_TEST(warning_injected)
{
	static const char line[] = "<4>WARNING: injected by the kmsg self-test\n";
	int fd = open("/dev/kmsg", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, line, sizeof(line) - 1), sizeof(line) - 1);
	close(fd);
}
END_TEST

Suite *suite_kmsg_selftest(struct pt_run *run)
{
	TCase *tc;
	Suite *s = pt_suite(run, "kmsg-selftest", 30, &tc);

	if (getenv("PINTEST_KMSG_SELFTEST"))
		PT_ADD(run, tc, warning_injected, pt_device_missing());
	return s;
}
