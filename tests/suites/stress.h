/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stress scenario runs for PINTEST_STRESS_SECONDS (default 8), shared
 * evenly by the memory kinds it runs on, or until PINTEST_STRESS_ITERATIONS
 * per kind, whichever ends first.  It
 * asserts its invariants as it goes, then that no pin, page or pinned_vm
 * was left behind and that the kernel logged nothing (its case's log,
 * judged once: pt_case_kmsg), and appends one row to $PINTEST_STRESS_REPORT
 * for the summary table.
 */
#ifndef STRESS_H
#define STRESS_H

#include "pt.h"

/*
 * A stress case's index: a memory kind, pinned by address, or that kind
 * + STRESS_BY_FILE, pinned by file offset (PIN_MEMFD, memfd_pin_folios()),
 * or + STRESS_ON_DEVICE, written by the real device rather than the CPU.
 */
#define STRESS_BY_FILE		64
#define STRESS_ON_DEVICE	128

static inline enum mem_kind stress_kind(int i)
{
	return (enum mem_kind)(i % STRESS_BY_FILE);
}

struct stress {
	const char *scenario;
	char label[48];		/* the kind, and how it is pinned */
	int by_file;
	int device;		/* the writer is the edu device */
	uint64_t map;		/* its mapping of the pin being written */
	struct pinctl *ctx;
	double start, deadline;
	long next_progress;	/* seconds after start; claimed atomically */
	uint64_t max_iterations;
	uint64_t iterations;	/* updated atomically by threaded scenarios */
	uint64_t mismatches;
	struct pinctl_stats before;
	long vmpin_before;
	struct pt_case_log *log;	/* the kernel log of its case */
};

const char *stress_how(int i);
void __stress_begin(struct stress *st, struct pt_case_log *log,
		    const char *scenario, int i, int nkinds);
/* In the body of a case (START_TEST), whose kernel log is the scenario's. */
#define stress_begin(st, scenario, i, nkinds) \
	__stress_begin(st, _pt_log, scenario, i, nkinds)
void stress_pin(struct stress *st, const struct test_mem *m, size_t len,
		uint64_t *h);
void stress_writer_start(struct stress *st, uint64_t h, size_t len,
			 uint64_t seed);
void stress_writer_stop(struct stress *st, uint64_t h, size_t len,
			uint64_t seed);
int stress_more(struct stress *st);
void stress_end(struct stress *st);
int stress_timeout(void);

#endif /* STRESS_H */
