// SPDX-License-Identifier: GPL-2.0
/*
 * What every pintest test program shares: registering cases (or the SKIP
 * lines of those that cannot run), the helpers the suites call, and
 * running the suites to one line "N passed, N failed, N skipped".  Zero
 * checks run is a failure, never a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmsg.h"
#include "procfs.h"
#include "pt.h"

/*
 * The cases Check will run, in its order, so that the checked fixture
 * (run in each case's child) can name its case in the kernel log: Check
 * itself tells a fixture only the test case's (here: the suite's) name.
 * Filled at registration, before the runner forks; @started counts, per
 * suite, the cases begun, in memory the children share.
 */
#define PT_MAX_CASES 1024
struct pt_case {
	const char *suite;
	const char *test;
	int index;		/* _i of a loop test, -1 otherwise */
};
static struct pt_case pt_cases[PT_MAX_CASES];
static int pt_ncases;
static int *pt_started;		/* MAP_SHARED, indexed like pt_cases */
static int pt_case_kmsg = -1;	/* in a case's child: since its start */

static void pt_record(const char *suite, const char *test, int start, int end)
{
	if (!pt_started) {
		pt_started = mmap(NULL, sizeof(int) * PT_MAX_CASES,
				  PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (pt_started == MAP_FAILED) {
			perror("pt_record: mmap");
			exit(EXIT_FAILURE);
		}
	}
	for (int i = start; i < end; i++) {
		if (pt_ncases == PT_MAX_CASES) {
			fprintf(stderr, "pt_record: more than %d cases\n", PT_MAX_CASES);
			exit(EXIT_FAILURE);
		}
		pt_cases[pt_ncases++] = (struct pt_case){
			.suite = suite, .test = test,
			.index = end - start > 1 ? i : -1,
		};
	}
}

/* The case this child runs: the next of its suite not begun yet. */
static const struct pt_case *pt_current_case(void)
{
	const char *suite = tcase_name();

	for (int first = 0; first < pt_ncases; first++) {
		if (strcmp(pt_cases[first].suite, suite))
			continue;
		int k = first + __atomic_fetch_add(&pt_started[first], 1,
						   __ATOMIC_RELAXED);

		return k < pt_ncases && !strcmp(pt_cases[k].suite, suite) ?
		       &pt_cases[k] : NULL;
	}
	return NULL;
}

/*
 * Checked fixture: every case that can reach the module leaves a marker
 * in the kernel log ("pintest-test: begin SUITE/TEST[:I]"), so that the
 * harness can name the case of a report, and fails if the kernel
 * complained while it ran.
 */
static void pt_case_begin(void)
{
	const struct pt_case *c = pt_current_case();
	char text[256];

	if (pt_device_missing())
		return;
	pt_case_kmsg = kmsg_open();
	ck_assert_msg(pt_case_kmsg >= 0, "/dev/kmsg: %s", strerror(-pt_case_kmsg));
	if (!c)
		snprintf(text, sizeof(text), "pintest-test: begin %s/?", tcase_name());
	else if (c->index < 0)
		snprintf(text, sizeof(text), "pintest-test: begin %s/%s", c->suite, c->test);
	else
		snprintf(text, sizeof(text), "pintest-test: begin %s/%s:%d",
			 c->suite, c->test, c->index);
	kmsg_mark(pt_case_kmsg, text);
}

static void pt_case_end(void)
{
	int reports;

	if (pt_case_kmsg < 0)
		return;
	reports = kmsg_reports(pt_case_kmsg, tcase_name());
	pt_case_kmsg = -1;
	ck_assert_msg(reports == 0, "the kernel logged %d complaint(s) during this case",
		      reports);
}

/* Whether Check runs @suite: all of them unless CK_RUN_SUITE names one. */
static int suite_selected(const char *suite)
{
	const char *only = getenv("CK_RUN_SUITE");

	return !only || !*only || !strcmp(only, suite);
}

void pt_add(struct pt_run *run, TCase *tc, const TTest *test, int start,
	    int end, const char *label, const char *skip)
{
	if (!skip) {
		pt_record(run->suite, test->name, start, end);
		_tcase_add_test(tc, test, 0, 0, start, end);
		return;
	}
	/* a skip counts only in a suite that runs */
	if (!suite_selected(run->suite))
		return;
	printf("SKIP %s/%s%s%s%s: %s\n", run->suite, test->name,
	       label ? "(" : "", label ? label : "", label ? ")" : "", skip);
	run->skipped += end - start;
}

/* A suite of one test case, @timeout seconds per test (TCG is slow). */
Suite *pt_suite(struct pt_run *run, const char *name, int timeout, TCase **tc)
{
	Suite *s = suite_create(name);

	run->suite = name;
	*tc = tcase_create(name);
	tcase_set_timeout(*tc, timeout);
	tcase_add_checked_fixture(*tc, pt_case_begin, pt_case_end);
	suite_add_tcase(s, *tc);
	return s;
}

const char *pt_device_missing(void)
{
	return access("/dev/pintest", F_OK) ?
	       "/dev/pintest is absent (run the suites through tools/pintest-vm)" :
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

void pt_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	sync();
	ck_assert_int_eq(write(fd, "3\n", 2), 2);
	close(fd);
}

int pt_run_all(SRunner *sr, const struct pt_run *run)
{
	int n_run, n_failed;

	srunner_run_all(sr, CK_NORMAL);
	n_run = srunner_ntests_run(sr);
	n_failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	printf("%d passed, %d failed, %d skipped\n", n_run - n_failed,
	       n_failed, run->skipped);
	if (n_run == 0) {
		printf("no test ran: that is a failure\n");
		return EXIT_FAILURE;
	}
	return n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
