// SPDX-License-Identifier: GPL-2.0
/* The frame every stress scenario runs in: budget, progress, invariants. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "util.h"

static double scenario_seconds(void)
{
	return util_env_num("PINTEST_STRESS_SECONDS", 8);
}

/* Check's timeout for one case: at most a whole scenario's budget, twice. */
int stress_timeout(void)
{
	return (int)(scenario_seconds() * 2) + 120;
}

/* How a row's label says the kind is pinned and written. */
const char *stress_how(int i)
{
	if (i & STRESS_ON_DEVICE)
		return "@edu";
	return i & STRESS_BY_FILE ? "@memfd_pin" : "";
}

/*
 * The @nkinds rows of a scenario with the same writer share its seconds
 * (a device row's iterations take about a second each: a transfer is
 * 100 ms of the device's time).
 */
void __stress_begin(struct stress *st, struct pt_case_log *log,
		    const char *scenario, int i, int nkinds)
{
	memset(st, 0, sizeof(*st));
	st->scenario = scenario;
	st->by_file = !!(i & STRESS_BY_FILE);
	st->device = !!(i & STRESS_ON_DEVICE);
	snprintf(st->label, sizeof(st->label), "%s%s", mem_name(stress_kind(i)),
		 stress_how(i));
	st->ctx = pt_open();
	st->start = util_now();
	st->deadline = st->start + scenario_seconds() / nkinds;
	st->next_progress = 30;
	st->max_iterations = util_env_num("PINTEST_STRESS_ITERATIONS", 0);
	pt_stats(st->ctx, &st->before);
	st->vmpin_before = pt_vmpin_kb();
	st->log = log;
}

/* A writing pin of @len bytes of @m, by address or by file offset. */
void stress_pin(struct stress *st, const struct test_mem *m, size_t len,
		uint64_t *h)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };

	if (!st->by_file) {
		ck_assert_int_eq(pinctl_pin(st->ctx, m->addr, len, PINCTL_PIN_WRITE, h), 0);
		return;
	}
	ck_assert_int_eq(pinctl_pin_memfd(st->ctx, m->fd, 0, len, PINCTL_PIN_WRITE, &res), 0);
	*h = res.handle;
}

/*
 * The in-flight writer fills @len bytes of pin @h with the pattern of
 * @seed, pass after pass: the CPU, or the device through a mapping for
 * its writes, once it has written its first transfer.
 */
void stress_writer_start(struct stress *st, uint64_t h, size_t len,
			 uint64_t seed)
{
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct pinctl_stats before;

	if (!st->device) {
		ck_assert_int_eq(pinctl_dma_start(st->ctx, h, 0, len, seed, 0, 0), 0);
		return;
	}
	ck_assert_int_eq(pinctl_device_map(st->ctx, h, PINCTL_MAP_DEVICE_WRITES, &map), 0);
	st->map = map.id;
	pt_stats(st->ctx, &before);
	ck_assert_int_eq(pinctl_device_start(st->ctx, h, 0, len, seed, 0, 0), 0);
	pt_wait_dma_bytes(st->ctx, &before, 1);
}

/*
 * Stops the writer (the device once it has written again since whatever
 * raced it, and then its mapping is unmapped, so the CPU sees what it
 * wrote): the bytes it wrote must hold the pattern, and the CPU fills
 * those it did not reach in its first pass.
 */
void stress_writer_stop(struct stress *st, uint64_t h, size_t len,
			uint64_t seed)
{
	struct pinctl_stats before;
	uint64_t bytes, bad;

	if (st->device) {
		pt_stats(st->ctx, &before);
		pt_wait_dma_bytes(st->ctx, &before, 1);
	}
	ck_assert_int_eq(pinctl_dma_stop(st->ctx, h, NULL, &bytes), 0);
	if (st->device)
		ck_assert_int_eq(pinctl_device_unmap(st->ctx, st->map), 0);
	if (bytes < len)
		ck_assert_int_eq(pinctl_dma_fill(st->ctx, h, bytes, len - bytes, seed), 0);
	ck_assert_int_eq(pinctl_dma_compare(st->ctx, h, 0, len, seed, &bad, NULL), 0);
	st->mismatches += bad;
}

int stress_more(struct stress *st)
{
	uint64_t n = __atomic_load_n(&st->iterations, __ATOMIC_RELAXED);
	double t = util_now();
	long due = __atomic_load_n(&st->next_progress, __ATOMIC_RELAXED);

	/* one line per 30 s, however many threads ask */
	if (t - st->start >= due &&
	    __atomic_compare_exchange_n(&st->next_progress, &due,
					(long)(t - st->start) + 30, 0,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		printf("stress %s/%s: %llu iterations after %.0f s\n",
		       st->scenario, st->label, (unsigned long long)n,
		       t - st->start);
		fflush(stdout);
	}
	if (st->max_iterations && n >= st->max_iterations)
		return 0;
	/* at least one, however slow the setup before it was */
	return !n || t < st->deadline;
}

void stress_end(struct stress *st)
{
	struct pinctl_stats after;
	const char *path = getenv("PINTEST_STRESS_REPORT");
	long vmpin;
	int reports;

	pt_stats(st->ctx, &after);
	vmpin = pt_vmpin_kb();
	/* what closing logs is the scenario's too: the row counts it */
	pinctl_close(st->ctx);
	reports = pt_case_kmsg(st->log);
	if (path) {
		FILE *f = fopen(path, "a");

		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s\t%s\t%llu\t%llu\t%llu\t%llu\t%d\t%.1f\n", st->scenario,
			st->label, (unsigned long long)st->iterations,
			(unsigned long long)(after.total_pages - st->before.total_pages),
			(unsigned long long)(after.dma_bytes - st->before.dma_bytes),
			(unsigned long long)st->mismatches, reports, util_now() - st->start);
		fclose(f);
	}
	ck_assert_msg(st->iterations > 0, "%s/%s ran no iteration", st->scenario,
		      st->label);
	ck_assert_msg(st->mismatches == 0, "%s/%s: %llu mismatching bytes",
		      st->scenario, st->label,
		      (unsigned long long)st->mismatches);
	pt_case_clean(st->log);
	ck_assert_uint_eq(after.live_pins, st->before.live_pins);
	ck_assert_uint_eq(after.live_pages, st->before.live_pages);
	ck_assert_int_eq(vmpin, st->vmpin_before);
}
