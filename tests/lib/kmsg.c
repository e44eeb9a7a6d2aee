// SPDX-License-Identifier: GPL-2.0
/* Counting kernel complaints in /dev/kmsg; see kmsg.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

#define MAX_PATTERNS 64

/* What a line of vm/kernel-reports is, by its prefix */
enum pattern_kind {
	COMPLAINT,		/* none: a complaint */
	EXPECTABLE,		/* "iommu-fault:": none while a test expects it */
	KERNEL_RACE,		/* "kernel-race:": one only if it names pintest */
};

static const char *const prefixes[] = {
	[EXPECTABLE] = "iommu-fault:", [KERNEL_RACE] = "kernel-race:",
};

struct patterns {
	regex_t re[MAX_PATTERNS];
	enum pattern_kind kind[MAX_PATTERNS];
	int n;
};

#define EXPECT_BEGIN	"pintest-test: iommu faults expected"
#define EXPECT_END	"pintest-test: iommu faults no longer expected"

static void patterns_free(struct patterns *p)
{
	while (p->n)
		regfree(&p->re[--p->n]);
}

/* vm/kernel-reports, or the file PINTEST_KERNEL_REPORTS names. */
static int patterns_load(struct patterns *p)
{
	const char *path = getenv("PINTEST_KERNEL_REPORTS") ?: "vm/kernel-reports";
	FILE *f = fopen(path, "r");
	char line[256];
	int ret = 0;

	p->n = 0;
	if (!f) {
		ret = -errno;
		printf("kmsg: cannot read the kernel-report patterns %s: %s\n", path,
		       strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *re = line;

		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		if (p->n == MAX_PATTERNS) {
			printf("kmsg: too many patterns in %s\n", path);
			ret = -EINVAL;
			break;
		}
		p->kind[p->n] = COMPLAINT;
		for (int k = EXPECTABLE; k <= KERNEL_RACE; k++)
			if (!strncmp(line, prefixes[k], strlen(prefixes[k]))) {
				p->kind[p->n] = k;
				re += strlen(prefixes[k]);
			}
		if (regcomp(&p->re[p->n], re, REG_EXTENDED | REG_NOSUB)) {
			printf("kmsg: bad pattern in %s: %s\n", path, line);
			ret = -EINVAL;
			break;
		}
		p->n++;
	}
	fclose(f);
	if (ret)
		patterns_free(p);
	return ret;
}

/*
 * A record "PRIO,SEQ,TIME,FLAGS;TEXT": a complaint, or pintest at err;
 * an IOMMU fault is none while @expecting, a data race none unless one
 * of its accesses is pintest's.
 */
static int is_complaint(const struct patterns *p, const char *rec, int expecting)
{
	const char *text = strchr(rec, ';');

	text = text ? text + 1 : rec;
	/*
	 * PRIO is facility * 8 + level: the kernel's own (0) at err or worse,
	 * unlike vm/judge-kmsg, which takes any facility (vm/kernel-reports
	 * says why)
	 */
	if (atoi(rec) <= 3 && !strncmp(text, "pintest", 7))
		return 1;
	/* before the rest, which match a race's "BUG:" too */
	for (int i = 0; i < p->n; i++)
		if (p->kind[i] == KERNEL_RACE && !regexec(&p->re[i], text, 0, NULL, 0))
			return strstr(text, "[pintest]") != NULL;
	for (int i = 0; i < p->n; i++)
		if (!regexec(&p->re[i], text, 0, NULL, 0))
			return !(p->kind[i] == EXPECTABLE && expecting);
	return 0;
}

/* Returns a descriptor positioned after the last record, or -errno. */
int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* Writes @text to the kernel log at info level, as a marker. */
void kmsg_mark(int fd, const char *text)
{
	char rec[512];
	int n = snprintf(rec, sizeof(rec), "<6>%s\n", text);

	if (write(fd, rec, n) < 0)
		return;	/* a marker is a help, not a check */
}

/*
 * Complaints logged since kmsg_open(); each is printed.  Closes @fd.
 * Without the pattern list every call counts one complaint: a check
 * that cannot look must not pass.
 */
int kmsg_reports(int fd, const char *who)
{
	struct patterns p;
	char rec[8192];
	int reports = 0, expecting = 0;
	ssize_t n;

	if (patterns_load(&p)) {
		close(fd);
		return 1;
	}
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: read on */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, EXPECT_BEGIN))
			expecting = 1;
		else if (strstr(rec, EXPECT_END))
			expecting = 0;
		if (is_complaint(&p, rec, expecting)) {
			const char *text = strchr(rec, ';');

			printf("%s: kernel: %s", who, text ? text + 1 : rec);
			reports++;
		}
	}
	patterns_free(&p);
	close(fd);
	return reports;
}

/*
 * Waits up to @seconds for an IOMMU fault record after @fd's position
 * (one of the "iommu-fault:" patterns); 1 when one came, else 0 or -errno.
 * A fault is logged as several lines (intel: "DRHD: handling fault
 * status", then the record), so once one came it reads on until the log
 * has been quiet for a second: the caller's end marker must come after
 * the last of them, or the judge takes that one for a complaint.
 */
int kmsg_wait_iommu_fault(int fd, double seconds)
{
	struct patterns p;
	char rec[8192];
	int ret, seen = 0, quiet = 0;

	ret = patterns_load(&p);
	if (ret)
		return ret;
	for (int naps = 0; seen ? quiet < 10 : naps < seconds * 10;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *text;

		if (n < 0 && errno == EAGAIN) {
			usleep(100000);
			naps++;
			quiet++;
			continue;
		}
		if (n <= 0)
			continue;	/* EPIPE: overwritten, read on */
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		for (int i = 0; i < p.n; i++)
			if (p.kind[i] == EXPECTABLE && !regexec(&p.re[i], text, 0, NULL, 0)) {
				seen = 1;
				quiet = 0;
				break;
			}
	}
	patterns_free(&p);
	return seen;
}
