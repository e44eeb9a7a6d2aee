// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb-longterm-movable: on 6.1 a long-term pin (FOLL_LONGTERM) of a
 * hugetlb page in ZONE_MOVABLE WARNs and fails with ENOMEM, where the
 * kernel promises to migrate the page out of ZONE_MOVABLE and pin it
 * there.  try_grab_folio() refuses FOLL_LONGTERM for a folio that is not
 * long-term pinnable, a check meant for GUP-fast, and follow_hugetlb_page(),
 * the slow path's hugetlb walk, calls it too:
 * WARN_ON_ONCE(!try_grab_folio()), then -ENOMEM.
 *
 *   hugetlb-longterm-movable
 *
 * Needs /dev/pintest and a ZONE_MOVABLE (boot with movablecore=: make
 * findings APPEND=movablecore=512M).  Grows the hugetlb pool by one page
 * (a new page comes from ZONE_MOVABLE first), faults it in, pins it
 * long-term by the first method the module pins long-term with, and puts
 * the pool back.  Ends with "finding hugetlb-longterm-movable: ..." and
 * exits 0 (SHOWN), 1 (NOT SHOWN) or 4 (SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "finding.h"
#include "pinctl.h"

#define NAME "hugetlb-longterm-movable"
#define POOL "/proc/sys/vm/nr_hugepages"
#define SEED 6

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* The kB of @field in /proc/meminfo, or -1. */
static long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	size_t n = strlen(field);
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			sscanf(line + n + 1, "%ld", &kb);
	if (f)
		fclose(f);
	return kb;
}

/* Whether ZONE_MOVABLE manages any page, from /proc/zoneinfo. */
static int have_movable_zone(void)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256], zone[32];
	long managed = 0, n;
	int in = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d, zone %31s", zone) == 1)
			in = !strcmp(zone, "Movable");
		else if (in && sscanf(line, " managed %ld", &n) == 1)
			managed += n;
	}
	if (f)
		fclose(f);
	return managed > 0;
}

/* A record of the WARN. */
static int is_warn(const char *rec)
{
	return strstr(rec, "WARNING:") && strstr(rec, "follow_hugetlb_page");
}

/* The first of the module's long-term methods, slow paths first; 0 if none. */
static unsigned int longterm_method(struct pinctl *ctx)
{
	static const unsigned int order[] = {
		PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED, PINCTL_PIN_FAST,
	};
	struct pinctl_info info;

	if (pinctl_info(ctx, &info))
		return 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (info.longterm_methods & order[i])
			return order[i];
	return 0;
}

/* The pin of the page at @buf (in ZONE_MOVABLE), and its verdict. */
static int reproduce(struct pinctl *ctx, int kmsg, char *buf, size_t len,
		     unsigned int method)
{
	struct pinctl_page p = { 0 };
	uint64_t h;
	int ret;

	lseek(kmsg, 0, SEEK_END);
	ret = pinctl_pin(ctx, buf, len, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM | method, &h);
	if (ret == -ENOMEM)
		return verdict(NAME, SHOWN, "the long-term pin failed with ENOMEM%s",
			       log_shows(kmsg, is_warn) ? " after a WARNING in follow_hugetlb_page()" :
			       "; no WARNING (WARN_ON_ONCE: once a boot)");
	if (ret)
		return verdict(NAME, SKIP, "the long-term pin failed with %s, not this "
			       "finding's ENOMEM", strerror(-ret));
	ret = pinctl_query(ctx, h, 0, 1, &p);
	pinctl_unpin(ctx, h, 0);
	if (ret)
		return verdict(NAME, SKIP, "QUERY failed: %s", strerror(-ret));
	if (pinctl_pattern_check(buf, 0, len, SEED, NULL))
		printf(NAME ": the data changed in the migration\n");
	return verdict(NAME, NOT_SHOWN, "the long-term pin migrated the page to zone %u%s",
		       p.zone, p.zone == PINCTL_ZONE_MOVABLE ?
		       " (ZONE_MOVABLE: pinned where it must not be)" : "");
}

/* The pool one page larger, that page faulted in at *@buf: 0 or a SKIP. */
static int movable_huge_page(struct pinctl *ctx, long pool, char **buf, size_t len)
{
	struct pinctl_page p = { 0 };
	int ret;

	if (write_long(POOL, pool + 1) || read_long(POOL) != pool + 1)
		return verdict(NAME, SKIP, "the hugetlb pool did not grow by a page");
	*buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (*buf == MAP_FAILED)
		return verdict(NAME, SKIP, "mmap(MAP_HUGETLB): %s", strerror(errno));
	pinctl_pattern_fill(*buf, 0, len, SEED);
	/* its first small page stands for the folio */
	ret = pinctl_probe(ctx, *buf, (size_t)sysconf(_SC_PAGESIZE), &p);
	if (ret)
		return verdict(NAME, SKIP, "PROBE failed: %s", strerror(-ret));
	if (p.zone != PINCTL_ZONE_MOVABLE)
		return verdict(NAME, SKIP, "the new huge page is in zone %u, not "
			       "ZONE_MOVABLE (4)", p.zone);
	printf(NAME ": a %zu kB hugetlb page in ZONE_MOVABLE at pfn %#llx\n",
	       len >> 10, (unsigned long long)p.pfn);
	return 0;
}

int main(void)
{
	long pool = read_long(POOL), kb = meminfo_kb("Hugepagesize");
	struct pinctl *ctx;
	char *buf = MAP_FAILED;
	unsigned int method;
	int kmsg, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!have_movable_zone())
		return verdict(NAME, SKIP, "no ZONE_MOVABLE: boot with movablecore= "
			       "(make findings APPEND=movablecore=512M)");
	if (pool < 0 || kb <= 0)
		return verdict(NAME, SKIP, "no hugetlb pool (%s)", POOL);
	ret = pinctl_open(&ctx, NULL);
	if (ret)
		return verdict(NAME, SKIP, "cannot open /dev/pintest: %s", strerror(-ret));
	method = longterm_method(ctx);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (!method)
		ret = verdict(NAME, SKIP, "the module pins long-term by no method");
	else if (kmsg < 0)
		ret = verdict(NAME, SKIP, "cannot read /dev/kmsg: %s", strerror(errno));
	else
		ret = movable_huge_page(ctx, pool, &buf, kb << 10) ?:
		      reproduce(ctx, kmsg, buf, kb << 10, method);
	if (buf != MAP_FAILED)
		munmap(buf, kb << 10);
	if (write_long(POOL, pool))
		printf(NAME ": could not put the hugetlb pool back to %ld pages\n", pool);
	if (kmsg >= 0)
		close(kmsg);
	pinctl_close(ctx);
	return ret;
}
