/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pintest ioctl fuzzer: several processes of several threads throw
 * valid, mutated and random requests at every ioctl of /dev/pintest,
 * through private descriptors, one descriptor shared by all processes
 * (inherited across fork), and one whose file is swapped under them.
 * Every answer must be 0 or an errno the uapi documents; pins the fuzzer
 * itself checks must hold the data it DMA'd; and afterwards no pin, page,
 * pinned_vm or module reference may be left and the kernel must have
 * logged nothing.
 *
 * Each thread draws from its own generator seeded from @seed, its process
 * and its index, so a seed replays every thread's stream of requests
 * (their interleaving is the scheduler's).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>

struct fuzz_opts {
	uint64_t seed;
	double seconds;
	int procs;		/* processes, the calling one included */
	int threads;		/* threads per process */
	int max_handles;	/* module parameter during the run, 0 to keep */
	int judge_kmsg;		/* the kernel's log is a broken invariant too:
				 * standalone; a suite's case judges its own */
};

struct fuzz_result {
	uint64_t ops;		/* requests sent */
	uint64_t ok;		/* answered 0 */
	uint64_t errnos[160];	/* answers by errno */
	uint64_t failures;	/* broken invariants, each printed */
};

/* Returns 0 when no invariant broke, -1 otherwise; @res is filled. */
int fuzz_run(const struct fuzz_opts *opts, struct fuzz_result *res);
void fuzz_print(const struct fuzz_opts *opts, const struct fuzz_result *res);

#endif /* FUZZ_H */
