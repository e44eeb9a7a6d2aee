// SPDX-License-Identifier: GPL-2.0
/*
 * What every pintest test program shares: registering cases (and those
 * that cannot run, with the reason), the helpers the suites call, and
 * running the suites: one SKIP line per reason, the cases, and one line
 * "N passed, N failed, N skipped".  Zero checks run is a failure, never a
 * pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmsg.h"
#include "procfs.h"
#include "pt.h"

/*
 * Every registration, a case that runs or the SKIP of one, in order: what
 * the marker of a case names (Check tells a test its own name only) and
 * what the reports list.  Filled before the runner forks a child for each
 * case.
 */
#define PT_MAX_CASES 1024
static struct pt_case pt_cases_registered[PT_MAX_CASES];
static int pt_ncases;

static void pt_record(const char *suite, const char *test, int start, int end,
		      const char *label, const char *skip)
{
	if (pt_ncases == PT_MAX_CASES) {
		fprintf(stderr, "pt_record: more than %d registrations\n", PT_MAX_CASES);
		exit(EXIT_FAILURE);
	}
	pt_cases_registered[pt_ncases++] = (struct pt_case){
		.suite = suite, .test = test, .start = start, .end = end,
		.label = label ? strdup(label) : NULL,
		.skip = skip ? strdup(skip) : NULL,
	};
}

const struct pt_case *pt_cases(int *n)
{
	*n = pt_ncases;
	return pt_cases_registered;
}

/* The name of case @i of @c: "test", "test(label)", "test:i". */
void pt_case_name(const struct pt_case *c, int i, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", c->test);

	if (c->label)
		n += snprintf(buf + n, size - n, "(%s)", c->label);
	if (c->end - c->start > 1)
		snprintf(buf + n, size - n, ":%d", i);
}

/*
 * Every case registered, run or skipped, "SUITE<TAB>CASE" a line on @f
 * (pintest-tests --list): 0, or -EIO when @f could not take it.
 */
int pt_list(FILE *f)
{
	char name[256];

	for (int k = 0; k < pt_ncases; k++) {
		const struct pt_case *c = &pt_cases_registered[k];

		for (int i = c->start; i < c->end; i++) {
			pt_case_name(c, i, name, sizeof(name));
			fprintf(f, "%s\t%s\n", c->suite, name);
		}
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

/* The registration of case @i of @test, among those that run. */
static const struct pt_case *pt_case_named(const char *test, int i)
{
	static const struct pt_case unknown = { .suite = "?", .test = "?" };

	for (int k = 0; k < pt_ncases; k++) {
		const struct pt_case *c = &pt_cases_registered[k];

		if (!c->skip && !strcmp(c->test, test) &&
		    i >= c->start && i < c->end)
			return c;
	}
	return &unknown;
}

/*
 * Around every test body (see START_TEST in pt.h): a case that can reach
 * the module leaves "pintest-test: begin SUITE/TEST[:I]" in the kernel log,
 * so that the harness can name the case of a report, and fails if the
 * kernel complained while it ran.
 */
void pt_case_begin(struct pt_case_log *log, const char *test, int i)
{
	const struct pt_case *t = pt_case_named(test, i);
	char text[256];

	log->fd = -1;
	log->reports = 0;
	snprintf(log->who, sizeof(log->who), "%s/", t->suite);
	pt_case_name(t, i, log->who + strlen(log->who),
		     sizeof(log->who) - strlen(log->who));
	if (pt_device_missing())
		return;
	log->fd = kmsg_open();
	ck_assert_msg(log->fd >= 0, "/dev/kmsg: %s", strerror(-log->fd));
	if (t->end - t->start > 1)
		snprintf(text, sizeof(text), "pintest-test: begin %s/%s:%d",
			 t->suite, test, i);
	else
		snprintf(text, sizeof(text), "pintest-test: begin %s/%s",
			 t->suite, test);
	kmsg_mark(log->fd, text);
}

/*
 * Judges what the kernel logged since the case began, or since the last
 * call: each complaint is printed once, "SUITE/CASE: kernel: TEXT".
 * Returns the complaints of the case so far.
 */
int pt_case_kmsg(struct pt_case_log *log)
{
	int fd;

	if (log->fd < 0)
		return log->reports;
	/* kmsg_reports() reads to the end and closes: go on from there */
	fd = dup(log->fd);
	ck_assert_msg(fd >= 0, "dup /dev/kmsg: %s", strerror(errno));
	log->reports += kmsg_reports(fd, log->who);
	/* a failed check ends the case by _exit(): say it first */
	fflush(stdout);
	return log->reports;
}

/* The case fails if the kernel complained while it ran. */
void pt_case_clean(const struct pt_case_log *log)
{
	ck_assert_msg(log->reports == 0,
		      "the kernel logged %d complaint(s) during this case",
		      log->reports);
}

void pt_case_end(struct pt_case_log *log)
{
	if (log->fd < 0)
		return;
	pt_case_kmsg(log);
	close(log->fd);
	log->fd = -1;
	pt_case_clean(log);
}

/* Whether Check runs @suite: all of them unless CK_RUN_SUITE names one. */
int pt_suite_selected(const char *suite)
{
	const char *only = getenv("CK_RUN_SUITE");

	return !only || !*only || !strcmp(only, suite);
}

void pt_add(struct pt_run *run, TCase *tc, const TTest *test, int start,
	    int end, const char *label, const char *skip)
{
	pt_record(run->suite, test->name, start, end, label, skip);
	if (!skip) {
		_tcase_add_test(tc, test, 0, 0, start, end);
		return;
	}
	/* a skip counts only in a suite that runs */
	if (pt_suite_selected(run->suite))
		run->skipped += end - start;
}

/*
 * How many cases of the registrations [@from, @to) skip, in a suite that
 * runs, for the reason @like skips (and are of @suite, unless NULL).
 */
static int pt_skipped_as(const struct pt_case *cases, int from, int to,
			 const struct pt_case *like, const char *suite)
{
	int count = 0;

	for (int k = from; k < to; k++)
		if (cases[k].skip && !strcmp(cases[k].skip, like->skip) &&
		    (!suite || !strcmp(cases[k].suite, suite)) &&
		    pt_suite_selected(cases[k].suite))
			count += cases[k].end - cases[k].start;
	return count;
}

/*
 * The console's skips: one line per reason, in the order the reasons
 * first come, with how many cases it skips and in which suites:
 * "SKIP 9 cases (memfd 6, stress 3): REASON".  The KTAP and JUnit reports
 * list every case with its reason (pt_report.c).
 */
static void pt_print_skips(void)
{
	const struct pt_case *cases = pt_cases_registered;
	int n = pt_ncases;

	for (int k = 0; k < n; k++) {
		const struct pt_case *c = &cases[k];
		const char *sep = " (";
		int count;

		/* the first case of each reason prints its line */
		if (!pt_skipped_as(cases, k, k + 1, c, NULL) ||
		    pt_skipped_as(cases, 0, k, c, NULL))
			continue;
		count = pt_skipped_as(cases, k, n, c, NULL);
		printf("SKIP %d case%s", count, count == 1 ? "" : "s");
		if (pt_skipped_as(cases, k, n, c, c->suite) == count) {
			printf(" (%s): %s\n", c->suite, c->skip);
			continue;
		}
		for (int j = k; j < n; j++) {
			const char *suite = cases[j].suite;

			if (!pt_skipped_as(cases, j, j + 1, c, suite) ||
			    pt_skipped_as(cases, k, j, c, suite))
				continue;
			printf("%s%s %d", sep, suite,
			       pt_skipped_as(cases, j, n, c, suite));
			sep = ", ";
		}
		printf("): %s\n", c->skip);
	}
	fflush(stdout);
}

/* A suite of one test case, @timeout seconds per test (TCG is slow). */
Suite *pt_suite(struct pt_run *run, const char *name, int timeout, TCase **tc)
{
	Suite *s = suite_create(name);

	run->suite = name;
	*tc = tcase_create(name);
	tcase_set_timeout(*tc, timeout);
	suite_add_tcase(s, *tc);
	return s;
}

const char *pt_device_missing(void)
{
	return access("/dev/pintest", F_OK) ?
	       "/dev/pintest is absent (run the suites through vm/pintest-vm)" :
	       NULL;
}

struct pinctl *pt_open(void)
{
	struct pinctl *ctx = NULL;
	int ret = pinctl_open(&ctx, NULL);

	ck_assert_msg(ret == 0, "pinctl_open: %s", strerror(-ret));
	return ctx;
}

void pt_stats(struct pinctl *ctx, struct pinctl_stats *s)
{
	int ret = pinctl_stats(ctx, s);

	ck_assert_msg(ret == 0, "pinctl_stats: %s", strerror(-ret));
}

/*
 * Until the module has moved @bytes more DMA bytes than @since counted:
 * 0, -EIO when STATS fails, or -ETIME after 60 s (the real device's
 * transfers are slow on TCG).  For a child that reports by exit status.
 */
int pt_dma_bytes_moved(struct pinctl *ctx, const struct pinctl_stats *since,
		       uint64_t bytes)
{
	struct pinctl_stats s;

	for (int tries = 0; tries < 1200; tries++) {
		if (pinctl_stats(ctx, &s))
			return -EIO;
		if (s.dma_bytes - since->dma_bytes >= bytes)
			return 0;
		usleep(50 * 1000);
	}
	return -ETIME;
}

/* pt_dma_bytes_moved(), as a check. */
void pt_wait_dma_bytes(struct pinctl *ctx, const struct pinctl_stats *since,
		       uint64_t bytes)
{
	int ret = pt_dma_bytes_moved(ctx, since, bytes);

	ck_assert_msg(ret == 0, "the device did not move %llu bytes in 60 s: %s",
		      (unsigned long long)bytes, strerror(-ret));
}

/* Live pins, live pages and VmPin are back where @s0 and @vm0 saw them. */
void pt_nothing_left(struct pinctl *ctx, const struct pinctl_stats *s0,
		     long vm0)
{
	struct pinctl_stats s;

	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0->live_pins);
	ck_assert_uint_eq(s.live_pages, s0->live_pages);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
}

/* pinned_vm of this process, as /proc/self/status reports it. */
long pt_vmpin_kb(void)
{
	long kb = procfs_vmpin_kb();

	ck_assert_int_ge(kb, 0);
	return kb;
}

char *pt_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

/*
 * The PFN mapped at @addr (PROBE; 0 without CAP_SYS_ADMIN), or UINT64_MAX
 * if none: no ck_assert, for the bodies that must put things back.
 */
uint64_t pt_pfn_at(struct pinctl *ctx, const void *addr)
{
	struct pinctl_page page;

	if (pinctl_probe(ctx, addr, PAGE, &page) ||
	    !(page.flags & PINCTL_PAGE_PRESENT))
		return UINT64_MAX;
	return page.pfn;
}

/* Runs @fn in a child and returns its exit status (0 = its checks held). */
int pt_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(fn(arg));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died of signal %d",
		      WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Bytes [@off, @off + @len) of the file @fd read back as zeroes. */
void pt_file_is_zero(int fd, uint64_t off, size_t len)
{
	char *buf = malloc(len);
	size_t i;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	i = util_span_of(buf, len, 0);
	ck_assert_msg(i == len, "byte %zu of the file is %#x, not 0",
		      (size_t)off + i, i < len ? buf[i] & 0xff : 0);
	free(buf);
}

void pt_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	sync();
	ck_assert_int_eq(write(fd, "3\n", 2), 2);
	close(fd);
}

static int pt_run_all(SRunner *sr, const struct pt_run *run)
{
	int n_run, n_failed, unreported;

	pt_print_skips();
	srunner_run_all(sr, CK_NORMAL);
	n_run = srunner_ntests_run(sr);
	n_failed = srunner_ntests_failed(sr);
	unreported = pt_report(sr) != 0;
	if (unreported)
		printf("the reports (PINTEST_KTAP, PINTEST_JUNIT) could not be written: that is a failure\n");
	srunner_free(sr);

	printf("%d passed, %d failed, %d skipped\n", n_run - n_failed,
	       n_failed + unreported, run->skipped);
	/* a suite whose every case skips said why; one with none is wrong */
	if (n_run == 0 && run->skipped == 0) {
		printf("no test ran: that is a failure\n");
		return EXIT_FAILURE;
	}
	return n_failed || unreported ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * The main() of a test program, once its suites are in @sr: runs them, or
 * with --list prints their cases (pt_list) and runs nothing.
 */
int pt_main(int argc, char **argv, SRunner *sr, const struct pt_run *run)
{
	int help = argc == 2 && !strcmp(argv[1], "--help");
	int ret;

	if (argc == 1)
		return pt_run_all(sr, run);
	srunner_free(sr);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		ret = pt_list(stdout);
		return ret ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	fprintf(help ? stdout : stderr, "usage: %s [--list]\n"
		"  --list  print each suite's cases, \"SUITE<TAB>CASE\", and run nothing\n",
		argv[0]);
	return help ? EXIT_SUCCESS : 2;
}

/* The loaded module's INFO; 0 or a negative errno. */
static int pt_info(struct pinctl_info2 *info)
{
	struct pinctl *ctx;
	int ret;

	info->sz = sizeof(*info);
	ret = pinctl_open(&ctx, NULL);
	if (ret)
		return ret;
	ret = pinctl_info2(ctx, info);
	pinctl_close(ctx);
	return ret;
}

/* Why PIN_MEMFD cannot run here, or NULL. */
const char *pt_memfd_pin_missing(void)
{
	struct pinctl_info2 info;

	if (pt_info(&info))
		return "cannot ask /dev/pintest (INFO)";
	return info.methods & PINCTL_PIN_MEMFD ? NULL :
	       "the kernel has no memfd_pin_folios() (6.10 or later)";
}

/* Why the real device cannot be used here, or NULL. */
const char *pt_edu_missing(void)
{
	struct pinctl_info2 info;

	if (pt_info(&info))
		return "cannot ask /dev/pintest (INFO)";
	return info.device_path != PINCTL_DEVICE_NONE ? NULL :
	       "no edu device bound (make check-device: vm/pintest-vm --device edu)";
}

/* KERNEL_VERSION(a, b, 0) of the running kernel, from uname; 0 if unknown. */
unsigned int pt_running_kernel(void)
{
	struct utsname u;
	unsigned int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return 0;
	return a << 16 | b << 8;
}

/* Whether the bound device sits behind a translating IOMMU. */
int pt_edu_behind_iommu(void)
{
	struct pinctl_info2 info;

	return !pt_info(&info) && info.device_path == PINCTL_DEVICE_IOMMU;
}

/*
 * Empties every CPU's LRU caches, where a folio waiting holds a
 * reference for as long as other work on that CPU leaves it there:
 * migrate_pages() from the nodes with memory to the same nodes moves
 * nothing but first calls lru_cache_disable(), which drains them all.
 * 0 or -errno.
 */
int pt_drain_lru(void)
{
	unsigned long nodes[16] = { 0 };
	const unsigned int max = 8 * sizeof(nodes);
	unsigned int a, b;
	int c = ',';
	FILE *f = fopen("/sys/devices/system/node/has_memory", "re");

	if (!f)
		return -errno;
	/* a list such as "0" or "0-1,3" */
	while (c == ',' && fscanf(f, "%u", &a) == 1) {
		b = a;
		c = fgetc(f);
		if (c == '-' && fscanf(f, "%u", &b) == 1)
			c = fgetc(f);
		for (; a <= b && a < max; a++)
			nodes[a / (8 * sizeof(long))] |= 1UL << (a % (8 * sizeof(long)));
	}
	fclose(f);
	if (syscall(SYS_migrate_pages, 0, max, nodes, nodes) < 0)
		return -errno;
	return 0;
}
