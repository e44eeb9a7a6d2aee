// SPDX-License-Identifier: GPL-2.0
/*
 * FOLL_LONGTERM and ZONE_MOVABLE (d1e153fea2a8, 5.13): a long-term pin
 * must not hold a page where memory offline or a CMA allocation needs to
 * move it, so every pin method that takes FOLL_LONGTERM (GUP-fast, which
 * must leave such folios to the slow path; the slow path, which migrates
 * them; memfd_pin_folios(), which always pins long-term) migrates the
 * pages out of ZONE_MOVABLE first, their data intact.  A short-term pin
 * holds the pages where they are.  On a boot with movablecore= the
 * memory the cases touch lands in ZONE_MOVABLE (user memory prefers the
 * highest zone); elsewhere they SKIP, but for every_page_has_its_zone,
 * which checks the zone QUERY and PROBE report on any boot.
 *
 * mutants/M09 (GUP-fast keeps movable folios) fails the fast rows of
 * longterm_pin_migrates (the pinned pages still MOVABLE), M10 (the slow
 * path migrates nothing) all its rows (fast falls back to the slow path),
 * M11 (folio_is_longterm_pinnable() passes movable folios) every row of
 * it and of memfd_pin_migrates, M24 (memfd_pin_folios() migrates nothing)
 * the memfd_pin_migrates rows.  On 6.1 the long-term hugetlb rows SKIP:
 * the kernel's own bug (hugetlb_longterm_broken()) fails them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

#define SEED 0x2f0e

static const unsigned int methods[] = {
	PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
};
#define NMETHODS ((int)(sizeof(methods) / sizeof(methods[0])))

static const int kinds[] = { MEM_ANON, MEM_THP, MEM_HUGETLB, MEM_MEMFD };
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

/* What a row pins: two folios of THP or hugetlb, 64 small pages. */
static size_t row_len(enum mem_kind kind)
{
	return mem_folio(kind) > PAGE ? 2 * mem_folio(kind) : 64 * PAGE;
}

/* /proc/zoneinfo's name of a PINCTL_ZONE_*, or NULL. */
static const char *zoneinfo_name(uint32_t zone)
{
	static const char *const names[] = {
		[PINCTL_ZONE_DMA] = "DMA", [PINCTL_ZONE_DMA32] = "DMA32",
		[PINCTL_ZONE_NORMAL] = "Normal", [PINCTL_ZONE_MOVABLE] = "Movable",
	};

	return zone < sizeof(names) / sizeof(names[0]) ? names[zone] : NULL;
}

/*
 * Why no case can run: no ZONE_MOVABLE, or none of 4 MiB of anonymous
 * memory touched now landed there (PROBE).  NULL when some did.
 */
static const char *movable_missing(void)
{
	const size_t len = 4 << 20;
	struct pinctl_page *p = NULL;
	struct pinctl *ctx = NULL;
	size_t i, in = 0;
	char *buf;

	if (procfs_zone("Movable", "managed") <= 0)
		return "no ZONE_MOVABLE (boot with movablecore=)";
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return "cannot map 4 MiB";
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 1, len);
	p = calloc(len / PAGE, sizeof(*p));
	if (p && !pinctl_open(&ctx, NULL) && !pinctl_probe(ctx, buf, len, p))
		for (i = 0; i < len / PAGE; i++)
			in += p[i].zone == PINCTL_ZONE_MOVABLE;
	if (ctx)
		pinctl_close(ctx);
	free(p);
	munmap(buf, len);
	return in ? NULL : "the kernel put none of 4 MiB of touched memory in ZONE_MOVABLE";
}

/* The ABI version 4 answer, or why not: an older module reports no zone. */
static const char *zone_unreported(void)
{
	struct pinctl_info info;
	struct pinctl *ctx;
	int ret;

	if (pt_device_missing())
		return pt_device_missing();
	if (pinctl_open(&ctx, NULL))
		return "cannot open /dev/pintest";
	ret = pinctl_info(ctx, &info);
	pinctl_close(ctx);
	if (ret || info.abi_version < 4)
		return "the module reports no zone (ABI version 4)";
	return NULL;
}

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/*
 * For hugetlb, @n huge pages more in the pool, allocated now: user memory
 * prefers ZONE_MOVABLE, and the pool hands out its newest free pages
 * first, so a mapping of @n faults in these.  The pool's older pages are
 * wherever earlier allocations and migrations left them.  Returns the
 * pool's size before, to put back; -1 for other kinds.  A case that fails
 * before it puts it back leaves the pool @n pages larger.
 */
static long fresh_huge_pages(enum mem_kind kind, long n)
{
	long size;

	if (kind != MEM_HUGETLB)
		return -1;
	size = procfs_read_long(NR_HUGEPAGES);
	ck_assert_int_gt(size, 0);
	ck_assert_int_eq(procfs_write_long(NR_HUGEPAGES, size + n), 0);
	ck_assert_int_eq(procfs_read_long(NR_HUGEPAGES), size + n);
	return size;
}

static void put_back_huge_pages(long size)
{
	if (size >= 0)
		ck_assert_int_eq(procfs_write_long(NR_HUGEPAGES, size), 0);
}

static struct pinctl_page *entries(size_t n)
{
	struct pinctl_page *p = calloc(n, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	return p;
}

/*
 * @m faulted in and filled with the pattern: every page present in
 * ZONE_MOVABLE, which the kernel's predicate calls not long-term
 * pinnable.
 */
static void fill_in_movable(struct pinctl *ctx, const struct test_mem *m)
{
	size_t n = m->len / PAGE;
	struct pinctl_page *p = entries(n);

	pinctl_pattern_fill(m->addr, 0, m->len, SEED);
	ck_assert_int_eq(pinctl_probe(ctx, m->addr, m->len, p), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(p[i].flags & PINCTL_PAGE_PRESENT, "page %zu not mapped", i);
		ck_assert_msg(p[i].zone == PINCTL_ZONE_MOVABLE,
			      "%s page %zu of %zu touched lands in zone %u, not ZONE_MOVABLE",
			      mem_name(m->kind), i, n, p[i].zone);
		ck_assert_msg(!(p[i].flags & PINCTL_PAGE_LONGTERM_PINNABLE),
			      "the kernel calls page %zu in ZONE_MOVABLE long-term pinnable",
			      i);
	}
	free(p);
}

/*
 * What a long-term pin @h of @m must hold: every page pinned, out of
 * ZONE_MOVABLE, long-term pinnable; the mapping the same pages (the
 * process sees what the device sees); the data intact both ways.
 */
static void check_migrated(struct pinctl *ctx, uint64_t h, const struct test_mem *m,
			   const char *what)
{
	size_t n = m->len / PAGE;
	struct pinctl_page *q = entries(n), *p = entries(n);
	uint64_t bad, first = 0;

	ck_assert_int_eq(pinctl_query(ctx, h, 0, n, q), 0);
	ck_assert_int_eq(pinctl_probe(ctx, m->addr, m->len, p), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(q[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED,
			      "%s: page %zu not pinned: flags %#x", what, i, q[i].flags);
		ck_assert_msg(q[i].zone != PINCTL_ZONE_MOVABLE && q[i].zone != PINCTL_ZONE_NONE,
			      "%s: page %zu of %zu is long-term pinned in zone %u (4: ZONE_MOVABLE)",
			      what, i, n, q[i].zone);
		ck_assert_msg(q[i].flags & PINCTL_PAGE_LONGTERM_PINNABLE,
			      "%s: page %zu long-term pinned but not long-term pinnable: flags %#x",
			      what, i, q[i].flags);
		ck_assert_msg(p[i].pfn == q[i].pfn,
			      "%s: page %zu: the mapping has pfn %#llx, the pin %#llx",
			      what, i, (unsigned long long)p[i].pfn,
			      (unsigned long long)q[i].pfn);
	}
	bad = pinctl_pattern_check(m->addr, 0, m->len, SEED, &first);
	ck_assert_msg(bad == 0, "%s: %llu bytes changed by the migration, first at %llu",
		      what, (unsigned long long)bad, (unsigned long long)first);
	ck_assert_int_eq(pinctl_dma_verify(ctx, h, 0, m->len, SEED), 0);
	free(q);
	free(p);
}

static void describe(char *buf, size_t size, int method, enum mem_kind kind)
{
	snprintf(buf, size, "%s %s", pinctl_method_name(methods[method]),
		 mem_name(kind));
}

/*
 * On any boot (_i: kind): every page touched reports a zone the kernel
 * manages pages in; the kernel's predicate calls it long-term pinnable
 * exactly when it is not in ZONE_MOVABLE (unless the module cannot read
 * its migratetype); a page never touched reads as no page, no zone.
 */
START_TEST(every_page_has_its_zone)
{
	enum mem_kind kind = kinds[_i];
	size_t len = row_len(kind), n = len / PAGE + 1;
	struct pinctl_page *p = entries(n);
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	char *hole;

	mem_create(&m, kind, len);
	hole = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(hole, MAP_FAILED);
	ck_assert_int_eq(pinctl_probe(ctx, m.addr, len, p), 0);
	ck_assert_int_eq(pinctl_probe(ctx, hole, PAGE, &p[n - 1]), 0);
	for (size_t i = 0; i < n - 1; i++) {
		const char *name = zoneinfo_name(p[i].zone);
		int pinnable = !!(p[i].flags & PINCTL_PAGE_LONGTERM_PINNABLE);

		ck_assert_msg(p[i].flags & PINCTL_PAGE_PRESENT, "page %zu not present", i);
		ck_assert_msg(name && procfs_zone(name, "managed") > 0,
			      "%s page %zu: zone %u, which /proc/zoneinfo has no pages in",
			      mem_name(kind), i, p[i].zone);
		ck_assert_msg(!(p[i].flags & PINCTL_PAGE_CMA) ||
			      !(p[i].flags & PINCTL_PAGE_CMA_UNKNOWN),
			      "page %zu both CMA and CMA_UNKNOWN", i);
		if (!(p[i].flags & (PINCTL_PAGE_CMA | PINCTL_PAGE_CMA_UNKNOWN)))
			ck_assert_msg(pinnable == (p[i].zone != PINCTL_ZONE_MOVABLE),
				      "%s page %zu in %s: long-term pinnable %d",
				      mem_name(kind), i, name, pinnable);
	}
	ck_assert_msg(p[n - 1].flags == 0 && p[n - 1].zone == PINCTL_ZONE_NONE,
		      "a page never touched reads as flags %#x zone %u", p[n - 1].flags,
		      p[n - 1].zone);
	ck_assert_int_eq(munmap(hole, PAGE), 0);
	mem_destroy(&m);
	pinctl_close(ctx);
	free(p);
}
END_TEST

/* _i: method * NKINDS + kind.  A long-term pin by address migrates. */
START_TEST(longterm_pin_migrates)
{
	int method = _i / NKINDS;
	enum mem_kind kind = kinds[_i % NKINDS];
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	char what[64];
	long pool;
	int ret;

	describe(what, sizeof(what), method, kind);
	pool = fresh_huge_pages(kind, row_len(kind) / mem_folio(kind));
	mem_create(&m, kind, row_len(kind));
	fill_in_movable(ctx, &m);
	ret = pinctl_pin2(ctx, m.addr, m.len,
			  methods[method] | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, &res);
	ck_assert_msg(ret == 0, "%s: long-term pin: %s", what, strerror(-ret));
	check_migrated(ctx, res.handle, &m, what);
	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, 0), 0);
	mem_destroy(&m);
	put_back_huge_pages(pool);
	pinctl_close(ctx);
}
END_TEST

/* _i: kind.  A short-term pin holds the very pages mapped, in ZONE_MOVABLE. */
START_TEST(shortterm_pin_stays)
{
	enum mem_kind kind = kinds[_i];
	size_t n = row_len(kind) / PAGE;
	struct pinctl_page *before = entries(n), *q = entries(n);
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	long pool = fresh_huge_pages(kind, row_len(kind) / mem_folio(kind));
	uint64_t h;

	mem_create(&m, kind, row_len(kind));
	fill_in_movable(ctx, &m);
	ck_assert_int_eq(pinctl_probe(ctx, m.addr, m.len, before), 0);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len,
				    PINCTL_PIN_LOCKED | PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, n, q), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(q[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED, "page %zu not pinned", i);
		ck_assert_msg(q[i].pfn == before[i].pfn && q[i].zone == PINCTL_ZONE_MOVABLE,
			      "page %zu moved for a short-term pin: pfn %#llx zone %u, was %#llx",
			      i, (unsigned long long)q[i].pfn, q[i].zone,
			      (unsigned long long)before[i].pfn);
	}
	ck_assert_int_eq(pinctl_dma_verify(ctx, h, 0, m.len, SEED), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	mem_destroy(&m);
	put_back_huge_pages(pool);
	pinctl_close(ctx);
	free(before);
	free(q);
}
END_TEST

/*
 * memfd_pin_folios() pins long-term whatever PINCTL_PIN_LONGTERM says
 * (_i: without it, with it): the file's folios leave ZONE_MOVABLE, the
 * page cache and the mapping hold the new ones.
 */
START_TEST(memfd_pin_migrates)
{
	unsigned int flags = PINCTL_PIN_WRITE | (_i ? PINCTL_PIN_LONGTERM : 0);
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	int ret;

	mem_create(&m, MEM_MEMFD, row_len(MEM_MEMFD));
	fill_in_movable(ctx, &m);
	ret = pinctl_pin_memfd(ctx, m.fd, 0, m.len, flags, &res);
	ck_assert_msg(ret == 0, "PIN_MEMFD: %s", strerror(-ret));
	check_migrated(ctx, res.handle, &m, _i ? "memfd_pin longterm" : "memfd_pin");
	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, 0), 0);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * A kernel bug of 6.1 (seen on Debian's 6.1.192): try_grab_folio() refuses
 * FOLL_LONGTERM for a folio that is not long-term pinnable, a check meant
 * for GUP-fast, and follow_hugetlb_page(), the slow path's hugetlb walk,
 * calls it too: a long-term pin of a hugetlb page in ZONE_MOVABLE WARNs
 * there (mm/hugetlb.c, WARN_ON_ONCE(!try_grab_folio())) and fails with
 * ENOMEM instead of migrating.  follow_hugetlb_page() is gone in 6.12.
 * The reproducer: findings/hugetlb-longterm-movable (docs/findings.md, 3).
 */
static const char *hugetlb_longterm_broken(enum mem_kind kind)
{
	unsigned int kv = pt_running_kernel();

	if (kind != MEM_HUGETLB || kv < KV(6, 1) || kv >= KV(6, 2))
		return NULL;
	return "6.1's follow_hugetlb_page() WARNs and fails a long-term pin of a "
	       "ZONE_MOVABLE hugetlb page with ENOMEM (try_grab_folio() refuses it)";
}

/* The methods that take PINCTL_PIN_LONGTERM here, or 0. */
static unsigned int longterm_methods(void)
{
	struct pinctl_info info;
	struct pinctl *ctx;
	int ret;

	if (pinctl_open(&ctx, NULL))
		return 0;
	ret = pinctl_info(ctx, &info);
	pinctl_close(ctx);
	return ret ? 0 : info.longterm_methods;
}

Suite *suite_zone(struct pt_run *run)
{
	TCase *tc;
	Suite *s = pt_suite(run, "zone", 120, &tc);
	const char *noabi = zone_unreported();
	const char *skip = noabi ?: movable_missing();
	unsigned int lt = skip ? 0 : longterm_methods();
	char label[64];

	for (int k = 0; k < NKINDS; k++)
		pt_add(run, tc, every_page_has_its_zone, k, k + 1, mem_name(kinds[k]),
		       noabi ?: mem_unavailable(kinds[k]));
	for (int k = 0; k < NKINDS; k++) {
		const char *why = skip ?: mem_unavailable(kinds[k]);

		for (int i = 0; i < NMETHODS; i++) {
			const char *no = why;

			if (!no && !(lt & methods[i]))
				no = "the kernel refuses FOLL_LONGTERM for this method (before 6.2)";
			no = no ?: hugetlb_longterm_broken(kinds[k]);
			describe(label, sizeof(label), i, kinds[k]);
			pt_add(run, tc, longterm_pin_migrates, i * NKINDS + k,
			       i * NKINDS + k + 1, label, no);
		}
		pt_add(run, tc, shortterm_pin_stays, k, k + 1, mem_name(kinds[k]), why);
	}
	pt_add(run, tc, memfd_pin_migrates, 0, 1, "memfd", skip ?: pt_memfd_pin_missing());
	pt_add(run, tc, memfd_pin_migrates, 1, 2, "memfd longterm",
	       skip ?: pt_memfd_pin_missing());
	return s;
}
