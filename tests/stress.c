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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double env_num(const char *name, double fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtod(v, NULL) : fallback;
}

static double scenario_seconds(void)
{
	return env_num("PINTEST_STRESS_SECONDS", 8);
}

/* Check's timeout for one case: at most a whole scenario's budget, twice. */
int stress_timeout(void)
{
	return (int)(scenario_seconds() * 2) + 120;
}

void stress_begin(struct stress *st, const char *scenario, enum mem_kind kind,
		  int nkinds)
{
	memset(st, 0, sizeof(*st));
	st->scenario = scenario;
	st->kind = kind;
	st->ctx = pt_open();
	st->start = now();
	st->deadline = st->start + scenario_seconds() / nkinds;
	st->next_progress = st->start + 30;
	st->max_iterations = env_num("PINTEST_STRESS_ITERATIONS", 0);
	pt_stats(st->ctx, &st->before);
	st->vmpin_before = pt_vmpin_kb();
	/* only what the kernel logs from now on counts */
	st->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(st->kmsg, 0);
	lseek(st->kmsg, 0, SEEK_END);
}

int stress_more(struct stress *st)
{
	uint64_t n = __atomic_load_n(&st->iterations, __ATOMIC_RELAXED);
	double t = now();

	if (t >= st->next_progress) {
		printf("stress %s/%s: %llu iterations after %.0f s\n",
		       st->scenario, mem_name(st->kind), (unsigned long long)n,
		       t - st->start);
		fflush(stdout);
		st->next_progress = t + 30;
	}
	if (st->max_iterations && n >= st->max_iterations)
		return 0;
	return t < st->deadline;
}

static const char *const complaints[] = {
	"WARNING:", "BUG:", "Oops", "general protection fault",
	"possible recursive locking", "circular locking dependency",
	"inconsistent lock state", "does not have buffers attached",
};

/* Kernel reports logged since stress_begin(); each one is printed. */
static int kernel_reports(struct stress *st)
{
	char rec[8192];
	int reports = 0;
	ssize_t n;

	for (;;) {
		n = read(st->kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: read on */
		if (n <= 0)
			break;
		rec[n] = 0;
		for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++) {
			if (strstr(rec, complaints[i])) {
				printf("stress %s/%s: kernel: %s", st->scenario,
				       mem_name(st->kind), strchr(rec, ';') + 1);
				reports++;
				break;
			}
		}
	}
	close(st->kmsg);
	return reports;
}

void stress_end(struct stress *st)
{
	struct pinctl_stats after;
	const char *path = getenv("PINTEST_STRESS_REPORT");
	int reports = kernel_reports(st);

	pt_stats(st->ctx, &after);
	if (path) {
		FILE *f = fopen(path, "a");

		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s\t%s\t%llu\t%llu\t%llu\t%llu\t%d\t%.1f\n", st->scenario,
			mem_name(st->kind), (unsigned long long)st->iterations,
			(unsigned long long)(after.total_pages - st->before.total_pages),
			(unsigned long long)(after.dma_bytes - st->before.dma_bytes),
			(unsigned long long)st->mismatches, reports, now() - st->start);
		fclose(f);
	}
	ck_assert_msg(st->iterations > 0, "%s/%s ran no iteration", st->scenario,
		      mem_name(st->kind));
	ck_assert_msg(st->mismatches == 0, "%s/%s: %llu mismatching bytes",
		      st->scenario, mem_name(st->kind),
		      (unsigned long long)st->mismatches);
	ck_assert_msg(reports == 0, "%s/%s: the kernel logged %d reports",
		      st->scenario, mem_name(st->kind), reports);
	ck_assert_uint_eq(after.live_pins, st->before.live_pins);
	ck_assert_uint_eq(after.live_pages, st->before.live_pages);
	ck_assert_int_eq(pt_vmpin_kb(), st->vmpin_before);
	pinctl_close(st->ctx);
}
