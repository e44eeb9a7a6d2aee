/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the pintest Check suites. */
#ifndef PT_H
#define PT_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdio.h>

#include "pinctl.h"
#include "util.h"

/*
 * The kernel log of one case, from its beginning: each complaint in it is
 * judged once, printed under the case's name and counted (pt_case_kmsg),
 * and the case fails if there was one (pt_case_clean).
 */
struct pt_case_log {
	int fd;			/* /dev/kmsg, or -1: the case cannot reach the module */
	char who[160];		/* "suite/case", as the reports name it */
	int reports;		/* complaints so far */
};

void pt_case_begin(struct pt_case_log *log, const char *test, int i);
int pt_case_kmsg(struct pt_case_log *log);
void pt_case_clean(const struct pt_case_log *log);
void pt_case_end(struct pt_case_log *log);

/*
 * Check's START_TEST, with the body run between pt_case_begin() and
 * pt_case_end(): every case is marked in the kernel log and judged by it.
 * The body sees its case's log as _pt_log, as it sees its index as _i.
 */
#undef START_TEST
#define START_TEST(name)						\
static void name##_body(struct pt_case_log *_pt_log, int _i);		\
static void name##_fn(int _i)						\
{									\
	struct pt_case_log case_log;					\
									\
	pt_case_begin(&case_log, #name, _i);				\
	name##_body(&case_log, _i);					\
	pt_case_end(&case_log);						\
}									\
static const TTest name##_ttest = { #name, name##_fn, __FILE__, __LINE__ }; \
static const TTest *name = &name##_ttest;				\
static void name##_body(struct pt_case_log *_pt_log CK_ATTRIBUTE_UNUSED, \
			int _i CK_ATTRIBUTE_UNUSED)

/*
 * For a body that changed what it must put back (a module parameter, a
 * sysctl) and so may not end early, as ck_assert() does (by _exit() in
 * Check's fork mode, longjmp() in CK_FORK=no): when @a != @b, writes what
 * and where into the char array @why and jumps to @out, where the body
 * puts things back and then fails with ck_assert_msg(!why[0], "%s", why).
 */
#define PT_EXPECT_EQ(a, b, why, out) do {				\
	long long a_ = (a), b_ = (b);					\
									\
	if (a_ != b_) {							\
		snprintf(why, sizeof(why), "%s:%d: %s == %s: %lld != %lld", \
			 __FILE__, __LINE__, #a, #b, a_, b_);		\
		goto out;						\
	}								\
} while (0)
#define PT_EXPECT(cond, why, out) PT_EXPECT_EQ(!!(cond), 1, why, out)

/* GUP_PIN_COUNTING_BIAS: what a pin adds to a small folio's refcount */
#define PT_PIN_BIAS 1024

/*
 * Registration: a case whose prerequisite is missing is not registered
 * with Check but recorded with its reason; the console counts the cases
 * of each reason ("SKIP 9 cases (memfd 6, stress 3): reason"), and the
 * KTAP and JUnit reports list each.
 */
struct pt_run {
	const char *suite;	/* the suite being built */
	int skipped;
};

void pt_add(struct pt_run *run, TCase *tc, const TTest *test, int start,
	    int end, const char *label, const char *skip);
int pt_suite_selected(const char *suite);

/* One registration: the cases _i in [start, end) of a test, or their SKIP. */
struct pt_case {
	const char *suite;
	const char *test;
	char *label;	/* what the range is of, or NULL */
	char *skip;	/* why they do not run, or NULL */
	int start, end;
};

const struct pt_case *pt_cases(int *n);
void pt_case_name(const struct pt_case *c, int i, char *buf, size_t size);
int pt_list(FILE *f);
int pt_report(SRunner *sr);
#define PT_ADD(run, tc, fn, skip) pt_add(run, tc, fn, 0, 1, NULL, skip)

const char *pt_device_missing(void);
const char *pt_memfd_pin_missing(void);
const char *pt_edu_missing(void);
int pt_edu_behind_iommu(void);
unsigned int pt_running_kernel(void);

/* KERNEL_VERSION(a, b, 0), as INFO's kernel_version and pt_running_kernel() have it */
#define KV(a, b) (((a) << 16) + ((b) << 8))
/* Runs and frees @sr, prints the summary line; returns the exit status. */
int pt_main(int argc, char **argv, SRunner *sr, const struct pt_run *run);
Suite *pt_suite(struct pt_run *run, const char *name, int timeout, TCase **tc);

Suite *suite_uapi(struct pt_run *run);
Suite *suite_kmod(struct pt_run *run);
Suite *suite_pin(struct pt_run *run);
Suite *suite_errors(struct pt_run *run);
Suite *suite_lifetime(struct pt_run *run);
Suite *suite_file(struct pt_run *run);
Suite *suite_reclaim(struct pt_run *run);
Suite *suite_dio(struct pt_run *run);
Suite *suite_stress(struct pt_run *run);
Suite *suite_integration(struct pt_run *run);
Suite *suite_fuzz(struct pt_run *run);
Suite *suite_security(struct pt_run *run);
Suite *suite_races(struct pt_run *run);
Suite *suite_interfaces(struct pt_run *run);
Suite *suite_special(struct pt_run *run);
Suite *suite_counting(struct pt_run *run);
Suite *suite_zone(struct pt_run *run);
Suite *suite_fork(struct pt_run *run);
Suite *suite_move(struct pt_run *run);
Suite *suite_remote(struct pt_run *run);
Suite *suite_guptest(struct pt_run *run);
Suite *suite_memfd(struct pt_run *run);
Suite *suite_device(struct pt_run *run);
Suite *suite_kmsg_selftest(struct pt_run *run);

struct pinctl *pt_open(void);
void pt_stats(struct pinctl *ctx, struct pinctl_stats *s);
int pt_dma_bytes_moved(struct pinctl *ctx, const struct pinctl_stats *since,
		       uint64_t bytes);
void pt_wait_dma_bytes(struct pinctl *ctx, const struct pinctl_stats *since,
		       uint64_t bytes);
long pt_vmpin_kb(void);
void pt_nothing_left(struct pinctl *ctx, const struct pinctl_stats *s0,
		     long vm0);
void pt_drop_caches(void);
int pt_drain_lru(void);
void pt_file_is_zero(int fd, uint64_t off, size_t len);
char *pt_anon(size_t len);
uint64_t pt_pfn_at(struct pinctl *ctx, const void *addr);
int pt_in_child(int (*fn)(void *), void *arg);

#define NOBODY 65534

/* The kinds of memory every success path runs on: anonymous ones first. */
enum mem_kind {
	MEM_ANON,
	MEM_THP,
	MEM_HUGETLB,
	MEM_MTHP_ORDER2,	/* anonymous folios of 4 pages (multi-size THP, 6.8+) */
	MEM_MTHP_ORDER4,	/* of 16 pages: 64 KiB, arm64's contiguous PTEs on 4 KiB */
	MEM_MEMFD,
	MEM_TMPFS,
	MEM_EXT4,
	MEM_XFS,
	MEM_TMPFS_HUGE,		/* tmpfs huge=always: PMD-sized page-cache folios */
	MEM_XFS_LARGE,		/* written in one go: large page-cache folios */
	MEM_EXT4_LARGE,		/* the same on ext4 (6.16+) */
	MEM_KINDS,
};

struct test_mem {
	enum mem_kind kind;
	char *addr;
	size_t len;
	int fd;			/* -1 for anonymous memory */
	char path[256];		/* "" unless a named file */
};

const char *mem_name(enum mem_kind kind);
const char *mem_unavailable(enum mem_kind kind);
size_t mem_unit(enum mem_kind kind);
size_t mem_folio(enum mem_kind kind);
int mem_folio_exact(enum mem_kind kind);
void mem_create(struct test_mem *m, enum mem_kind kind, size_t len);
char *mem_map_anon(size_t len, size_t align, int huge);
int mem_unmap(struct test_mem *m);
void mem_destroy(struct test_mem *m);
int mem_is_file(enum mem_kind kind);
int mem_check_disk(const struct test_mem *m, size_t len, uint64_t seed,
		   char *why, size_t size);

#endif /* PT_H */
