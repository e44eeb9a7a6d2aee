// SPDX-License-Identifier: GPL-2.0
/*
 * The results of a run for CI systems: KTAP (Documentation/dev-tools/
 * ktap.rst; one subtest per suite, one result per case, SKIP with its
 * reason) appended to $PINTEST_KTAP, and a JUnit <testsuite> per suite
 * appended to $PINTEST_JUNIT.  tests/shell/run-suites puts the header around
 * them.  Check runs the cases of the selected suites in the order they
 * were registered, so its results are matched to the registrations one by
 * one; a result whose test case is not the suite expected breaks the match
 * and fails the run rather than misname anything.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

struct report {
	FILE *ktap, *junit;
	TestResult **res;
	int nres, next;
	int broken;		/* results and registrations stopped matching */
};

/* @s for an XML attribute or text, on one line. */
static void xml_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc((unsigned char)*s < ' ' ? ' ' : *s, f);
		}
	}
}

/* @s on one line, as a KTAP diagnostic or directive needs it. */
static void line_put(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' ? ' ' : *s, f);
}

/* The next of Check's results, if it is one of @suite's; else NULL. */
static TestResult *next_result(struct report *r, const char *suite)
{
	TestResult *tr;

	if (r->broken || r->next == r->nres)
		goto broken;
	tr = r->res[r->next];
	if (strcmp(tr_tcname(tr), suite))
		goto broken;
	r->next++;
	return tr;
broken:
	r->broken = 1;
	return NULL;
}

struct tally {
	int n, failed, errors, skipped;
};

/* One case: its KTAP line (number @num) and its JUnit <testcase>. */
static void report_case(struct report *r, const struct pt_case *c, int i,
			int num, struct tally *t)
{
	TestResult *tr = c->skip ? NULL : next_result(r, c->suite);
	int rtype = tr ? tr_rtype(tr) : CK_ERROR;
	char name[256];

	pt_case_name(c, i, name, sizeof(name));
	fprintf(r->junit, "    <testcase classname=\"pintest.%s\" name=\"", c->suite);
	xml_put(r->junit, name);
	fputs("\"", r->junit);
	if (c->skip) {
		t->skipped++;
		fprintf(r->ktap, "  ok %d %s # SKIP ", num, name);
		line_put(r->ktap, c->skip);
		fputs("\n", r->ktap);
		fputs("><skipped message=\"", r->junit);
		xml_put(r->junit, c->skip);
		fputs("\"/></testcase>\n", r->junit);
		return;
	}
	if (rtype == CK_PASS) {
		fprintf(r->ktap, "  ok %d %s\n", num, name);
		fputs("/>\n", r->junit);
		return;
	}
	if (rtype == CK_FAILURE)
		t->failed++;
	else
		t->errors++;
	fprintf(r->ktap, "  not ok %d %s\n  # ", num, name);
	if (tr)
		fprintf(r->ktap, "%s:%d: ", tr_lfile(tr) ?: "?", tr_lno(tr));
	line_put(r->ktap, tr ? tr_msg(tr) : "pintest: Check's results do not match the cases registered");
	fputs("\n", r->ktap);
	fprintf(r->junit, "><%s message=\"", rtype == CK_FAILURE ? "failure" : "error");
	xml_put(r->junit, tr ? tr_msg(tr) : "Check's results do not match the cases registered");
	fputs("\">", r->junit);
	if (tr) {
		xml_put(r->junit, tr_lfile(tr) ?: "?");
		fprintf(r->junit, ":%d", tr_lno(tr));
	}
	fprintf(r->junit, "</%s></testcase>\n", rtype == CK_FAILURE ? "failure" : "error");
}

/* The registrations [@first, @last) of one suite, as a subtest. */
static void report_suite(struct report *r, const struct pt_case *cases,
			 int first, int last)
{
	const char *suite = cases[first].suite;
	FILE *junit = r->junit;
	struct tally t = { 0 };
	char *body = NULL;
	size_t size;
	int num = 0;

	for (int k = first; k < last; k++)
		t.n += cases[k].end - cases[k].start;
	fprintf(r->ktap, "  KTAP version 1\n  # Subtest: %s\n  1..%d\n", suite, t.n);
	/* the <testsuite> tag counts what its cases turn out to be */
	r->junit = open_memstream(&body, &size);
	if (!r->junit) {
		r->junit = junit;
		r->broken = 1;
		return;
	}
	for (int k = first; k < last; k++)
		for (int i = cases[k].start; i < cases[k].end; i++)
			report_case(r, &cases[k], i, ++num, &t);
	fclose(r->junit);
	r->junit = junit;
	fprintf(junit, "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n%s  </testsuite>\n",
		suite, t.n, t.failed, t.errors, t.skipped, body);
	free(body);
	if (t.failed || t.errors)
		fprintf(r->ktap, "not ok 1 %s\n", suite);
	else if (t.skipped == t.n)
		fprintf(r->ktap, "ok 1 %s # SKIP every case skipped\n", suite);
	else
		fprintf(r->ktap, "ok 1 %s\n", suite);
}

/*
 * Appends the run's reports where PINTEST_KTAP and PINTEST_JUNIT say (both
 * or neither): 0, or -1 when a file cannot be written or Check's results
 * did not match.  The top-level "ok 1 SUITE" lines are renumbered by
 * tests/shell/run-suites, which also writes the plan.
 */
int pt_report(SRunner *sr)
{
	const char *ktap = getenv("PINTEST_KTAP"), *junit = getenv("PINTEST_JUNIT");
	struct report r = { 0 };
	const struct pt_case *cases;
	int n, first, ret = 0;

	if (!ktap || !junit || !*ktap || !*junit)
		return 0;
	r.ktap = fopen(ktap, "a");
	r.junit = fopen(junit, "a");
	r.res = srunner_results(sr);
	r.nres = srunner_ntests_run(sr);
	if (!r.ktap || !r.junit || !r.res) {
		ret = -1;
		goto out;
	}
	cases = pt_cases(&n);
	for (first = 0; first < n; ) {
		int last = first + 1;

		while (last < n && !strcmp(cases[last].suite, cases[first].suite))
			last++;
		if (pt_suite_selected(cases[first].suite))
			report_suite(&r, cases, first, last);
		first = last;
	}
	if (r.broken || r.next != r.nres)
		ret = -1;
out:
	free(r.res);
	if (r.ktap && fclose(r.ktap))
		ret = -1;
	if (r.junit && fclose(r.junit))
		ret = -1;
	return ret;
}
