// SPDX-License-Identifier: GPL-2.0
/*
 * A short run of the ioctl fuzzer (fuzz.h) as part of the suites:
 * PINTEST_FUZZ_SECONDS (default 20) with PINTEST_FUZZ_SEED (default 1),
 * three processes of three threads.  make fuzz runs it longer.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "pt.h"
#include "util.h"

START_TEST(fuzz_every_ioctl)
{
	struct fuzz_opts o = {
		.seed = (uint64_t)util_env_num("PINTEST_FUZZ_SEED", 1),
		.seconds = util_env_num("PINTEST_FUZZ_SECONDS", 20),
		.procs = 3, .threads = 3, .max_handles = 256,
	};
	struct fuzz_result r;
	int ret = fuzz_run(&o, &r);

	fuzz_print(&o, &r);
	ck_assert_msg(r.ops > 0, "the fuzzer sent no request");
	ck_assert_msg(ret == 0, "%llu broken invariants (seed %llu)",
		      (unsigned long long)r.failures, (unsigned long long)o.seed);
}
END_TEST

Suite *suite_fuzz(struct pt_run *run)
{
	const char *skip = pt_device_missing() ?:
			   (getuid() ? "needs root (module parameters, capabilities)" : NULL);
	TCase *tc;
	Suite *s = pt_suite(run, "fuzz", (int)util_env_num("PINTEST_FUZZ_SECONDS", 20) * 3 + 120, &tc);

	PT_ADD(run, tc, fuzz_every_ioctl, skip);
	return s;
}
