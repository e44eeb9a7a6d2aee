// SPDX-License-Identifier: GPL-2.0
/*
 * pintest-fuzz: the ioctl fuzzer on its own, for make fuzz.  Runs in the
 * VM; ends with "N passed, N failed" (one run, passed when no invariant
 * broke).  Usage: pintest-fuzz [-s SECONDS] [-S SEED] [-p PROCS] [-t THREADS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
	struct fuzz_opts o = {
		.seed = (uint64_t)time(NULL), .seconds = 60, .procs = 3,
		.threads = 3, .max_handles = 256, .judge_kmsg = 1,
	};
	struct fuzz_result r;
	int c, ret;

	while ((c = getopt(argc, argv, "s:S:p:t:")) != -1) {
		switch (c) {
		case 's': o.seconds = strtod(optarg, NULL); break;
		case 'S': o.seed = strtoull(optarg, NULL, 0); break;
		case 'p': o.procs = atoi(optarg); break;
		case 't': o.threads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: pintest-fuzz [-s SECONDS] [-S SEED] [-p PROCS] [-t THREADS]\n");
			return 2;
		}
	}
	if (o.procs < 1 || o.threads < 1 || o.seconds <= 0) {
		fprintf(stderr, "pintest-fuzz: PROCS, THREADS and SECONDS must be positive\n");
		return 2;
	}
	printf("fuzz: seed %llu (replay with SEED=%llu)\n",
	       (unsigned long long)o.seed, (unsigned long long)o.seed);
	fflush(stdout);
	ret = fuzz_run(&o, &r);
	fuzz_print(&o, &r);
	printf("fuzz: %d passed, %d failed\n", ret == 0, ret != 0);
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
