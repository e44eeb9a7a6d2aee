// SPDX-License-Identifier: GPL-2.0
/*
 * What a pin adds to the kernel's books, and that its unpin takes back
 * exactly that: /proc/vmstat's nr_foll_pin_acquired and
 * nr_foll_pin_released move by the pages pinned (by the folios, for
 * memfd_pin_folios()), each page's refcount and pin count while pinned
 * are its own plus the pin's, and come back to what they were; the shared
 * zero page, which the kernel does not pin, moves neither.
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

/* KERNEL_VERSION(a, b, c), as INFO's kernel_version has it */
#define KV3(a, b, c) (KV(a, b) + (c))

static const unsigned int methods[] = {
	PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* The memory the pins by address take: the rest pin the same way. */
static const int kinds[] = { MEM_ANON, MEM_THP, MEM_HUGETLB, MEM_TMPFS, MEM_EXT4 };
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

/* ... and those PIN_MEMFD takes: a folio a page, and PMD-sized folios. */
static const int memfd_kinds[] = { MEM_MEMFD, MEM_TMPFS_HUGE };
#define NMEMFD_KINDS ((int)(sizeof(memfd_kinds) / sizeof(memfd_kinds[0])))

/* One measurement: a pin of @kind with @flags, by address or by offset. */
struct attempt {
	enum mem_kind kind;
	unsigned int flags;
	int memfd;		/* PIN_MEMFD of the file, not PIN of the mapping */
	size_t tail;		/* pin only the last @tail pages of the first folio */
};

struct books {
	long acquired, released;
};

/*
 * Both counters, exact: the kernel keeps a node stat's recent changes in
 * per-CPU deltas, up to a threshold that grows with memory and CPUs,
 * which /proc/vmstat does not add in; writing stat_refresh folds every
 * CPU's first.
 */
static void read_books(struct books *b)
{
	char line[128];
	FILE *f;

	ck_assert_int_eq(procfs_write("/proc/sys/vm/stat_refresh", "1"), 0);
	f = fopen("/proc/vmstat", "re");
	ck_assert_ptr_nonnull(f);
	b->acquired = b->released = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "nr_foll_pin_acquired %ld", &b->acquired);
		sscanf(line, "nr_foll_pin_released %ld", &b->released);
	}
	fclose(f);
	ck_assert_msg(b->acquired >= 0 && b->released >= 0,
		      "/proc/vmstat has no nr_foll_pin_acquired/released");
}

static const char *cannot_count(void)
{
	if (getuid())
		return "needs root (stat_refresh, PFNs)";
	if (pt_drain_lru())
		return "migrate_pages() cannot drain the LRU caches (CONFIG_NUMA)";
	return NULL;
}

/* The memory of @a, two folios of it, faulted in. */
static void attempt_mem(const struct attempt *a, struct test_mem *m)
{
	mem_create(m, a->kind, 2 * mem_unit(a->kind));
}

/*
 * Pins all of @m as @a says; *@units is what the counters must move by:
 * the pages, or for memfd_pin_folios() the folios (one pin each).
 */
static int take_pin(struct pinctl *ctx, const struct attempt *a,
		    const struct test_mem *m, uint64_t *handle, uint64_t *units)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	int ret;

	if (a->tail) {
		*units = a->tail;
		return pinctl_pin(ctx, m->addr + mem_folio(a->kind) - a->tail * PAGE,
				  a->tail * PAGE, a->flags, handle);
	}
	if (!a->memfd) {
		*units = m->len / PAGE;
		return pinctl_pin(ctx, m->addr, m->len, a->flags, handle);
	}
	ret = pinctl_pin_memfd(ctx, m->fd, 0, m->len, a->flags, &res);
	*handle = res.handle;
	*units = res.nfolios;
	if (!ret)
		ck_assert_uint_eq(res.nfolios, m->len / mem_folio(m->kind));
	return ret;
}

/*
 * A long-term pin first migrates pages out of ZONE_MOVABLE and CMA
 * (a mutant's boot has movablecore=): it pins them, unpins them, moves
 * them and pins the new ones, counting each page twice acquired and once
 * released.  One long-term pin and unpin beforehand puts them where the
 * measured pin keeps them.
 */
static void settle(struct pinctl *ctx, const struct attempt *a,
		   const struct test_mem *m)
{
	uint64_t h, units;

	if (!a->memfd && !(a->flags & PINCTL_PIN_LONGTERM))
		return;
	ck_assert_int_eq(take_pin(ctx, a, m, &h, &units), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
}

/* "thp fast longterm: ", "PIN_MEMFD of memfd: ", "thp locked, a folio's last 2 pages: " */
static void describe(const struct attempt *a, char *why, size_t size)
{
	char tail[48] = "";

	if (a->tail)
		snprintf(tail, sizeof(tail), ", a folio's last %zu pages", a->tail);
	if (a->memfd)
		snprintf(why, size, "PIN_MEMFD of %s: ", mem_name(a->kind));
	else
		snprintf(why, size, "%s %s%s%s%s: ", mem_name(a->kind),
			 pinctl_method_name(a->flags),
			 a->flags & PINCTL_PIN_LONGTERM ? " longterm" : "",
			 a->flags & PINCTL_PIN_WRITE ? "" : " read-only", tail);
}

/*
 * The counters across the pin and across the unpin: acquired by exactly
 * the pin's units and released by none, then released by as many and
 * acquired by none.  0, or what differed in @why.
 */
static int count_once(const struct attempt *a, char *why, size_t size)
{
	struct pinctl *ctx = pt_open();
	struct books b0, b1, b2;
	struct test_mem m;
	uint64_t h, units;
	size_t n;
	int ret;

	attempt_mem(a, &m);
	settle(ctx, a, &m);
	read_books(&b0);
	ret = take_pin(ctx, a, &m, &h, &units);
	read_books(&b1);
	ck_assert_msg(ret == 0, "pin: %s", strerror(-ret));
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	read_books(&b2);
	mem_destroy(&m);
	pinctl_close(ctx);

	describe(a, why, size);
	n = strlen(why);
	if (b1.acquired - b0.acquired == (long)units && b1.released == b0.released &&
	    b2.released - b1.released == (long)units && b2.acquired == b1.acquired)
		return 0;
	snprintf(why + n, size - n,
		 "%llu pinned: across the pin acquired +%ld released +%ld, across the unpin acquired +%ld released +%ld",
		 (unsigned long long)units, b1.acquired - b0.acquired,
		 b1.released - b0.released, b2.acquired - b1.acquired,
		 b2.released - b1.released);
	return -1;
}

/*
 * The guest is quiet, not empty: a pin anywhere else in it that lands
 * between our readings moves the counters (or a refcount) too.  Such a
 * stray spoils one measurement, not the one after it, while a kernel that
 * miscounts does it every time; so a measurement that is not exact is
 * made once more, on new memory, and that one must be exact.
 */
static void exact(int (*once)(const struct attempt *, char *, size_t),
		  const struct attempt *a)
{
	char why[512];

	if (!once(a, why, sizeof(why)))
		return;
	printf("counting: %s; measuring again\n", why);
	fflush(stdout);
	ck_assert_msg(!once(a, why, sizeof(why)), "%s (twice)", why);
}

/*
 * The pins a case makes: each method, short- and long-term; writable but
 * for ext4's long-term ones, which 6.5+ refuses (8ac268436e6d) and which
 * are taken read-only on every kernel, so as to count the same pin.
 */
static int attempts_of(struct pinctl_info *info, enum mem_kind kind,
		       size_t tail, struct attempt *out)
{
	int n = 0;

	for (size_t i = 0; i < NMETHODS; i++)
		out[n++] = (struct attempt){
			.kind = kind, .flags = methods[i] | PINCTL_PIN_WRITE, .tail = tail,
		};
	for (size_t i = 0; i < NMETHODS; i++) {
		if (!(info->longterm_methods & methods[i]))
			continue;
		out[n++] = (struct attempt){
			.kind = kind,
			.flags = methods[i] | PINCTL_PIN_LONGTERM |
				 (kind == MEM_EXT4 ? 0 : PINCTL_PIN_WRITE),
			.tail = tail,
		};
	}
	return n;
}

static void each_attempt(enum mem_kind kind, size_t tail,
			 int (*once)(const struct attempt *, char *, size_t))
{
	struct attempt all[2 * NMETHODS];
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;
	int n;

	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	pinctl_close(ctx);
	n = attempts_of(&info, kind, tail, all);
	for (int i = 0; i < n; i++)
		exact(once, &all[i]);
}

START_TEST(vmstat_counts_each_pin)
{
	each_attempt(kinds[_i], 0, count_once);
}
END_TEST

/*
 * The last two pages of a huge folio: the slow path grabs the first page
 * and adds the references of the rest of the folio's run in one go, a
 * count that an off-by-one at two pages would lose (mutants/M04).
 */
START_TEST(vmstat_counts_two_pages_of_a_folio)
{
	each_attempt(kinds[_i], 2, count_once);
}
END_TEST

/* PROBE of all of @m after the LRU caches are drained. */
static void probe_settled(struct pinctl *ctx, const struct test_mem *m,
			  struct pinctl_page *pages)
{
	ck_assert_int_eq(pt_drain_lru(), 0);
	ck_assert_int_eq(pinctl_probe(ctx, m->addr, m->len, pages), 0);
}

/* The first PFN of the folio of @p (folios are aligned to their size). */
static uint64_t folio_pfn(const struct pinctl_page *p)
{
	return p->pfn & ~((1ULL << p->order) - 1);
}

/*
 * What a pin of all @n pages adds to page @i, seen @before: a small folio
 * PT_PIN_BIAS to its refcount; a large one, for an exact pin count, 1 to both
 * its refcount and pin count per page of it pinned, or per folio for
 * memfd_pin_folios().
 */
static uint32_t added_by_pin(const struct attempt *a,
			     const struct pinctl_page *before, size_t n,
			     size_t i)
{
	uint32_t same = 0;

	if (!(before[i].flags & PINCTL_PAGE_LARGE))
		return PT_PIN_BIAS;
	if (a->memfd)
		return 1;
	for (size_t j = 0; j < n; j++)
		same += folio_pfn(&before[j]) == folio_pfn(&before[i]);
	return same;
}

/*
 * PROBE before the pin, QUERY while pinned, PROBE after the unpin, the
 * LRU caches drained before each look: while pinned every page holds
 * exactly its refcount before plus the pin's, and after the unpin exactly
 * its refcount and pin count before, on the same PFN.  0, or the first
 * page that differed in @why.
 */
static int refcount_once(const struct attempt *a, char *why, size_t size)
{
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	struct pinctl_page *before, *during, *after;
	uint64_t h, units;
	size_t n, w;
	int bad = 0;

	attempt_mem(a, &m);
	n = m.len / PAGE;
	before = calloc(n, sizeof(*before));
	during = calloc(n, sizeof(*during));
	after = calloc(n, sizeof(*after));
	ck_assert(before && during && after);
	settle(ctx, a, &m);

	probe_settled(ctx, &m, before);
	ck_assert_int_eq(take_pin(ctx, a, &m, &h, &units), 0);
	ck_assert_int_eq(pt_drain_lru(), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, n, during), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	probe_settled(ctx, &m, after);

	describe(a, why, size);
	w = strlen(why);
	for (size_t i = 0; i < n && !bad; i++) {
		const struct pinctl_page *b = &before[i], *d = &during[i], *f = &after[i];
		uint32_t add = added_by_pin(a, before, n, i);
		int large = b->flags & PINCTL_PAGE_LARGE;

		bad = !(b->flags & PINCTL_PAGE_PRESENT) || !(f->flags & PINCTL_PAGE_PRESENT) ||
		      d->pfn != b->pfn || f->pfn != b->pfn ||
		      d->refcount != b->refcount + add ||
		      (large && d->pincount != b->pincount + add) ||
		      f->refcount != b->refcount || f->pincount != b->pincount;
		if (bad)
			snprintf(why + w, size - w,
				 "page %zu (order %u, pfn %#llx/%#llx/%#llx): refcount %u, pinned %u (+%u expected), after %u; pincount %u, %u, %u",
				 i, b->order, (unsigned long long)b->pfn,
				 (unsigned long long)d->pfn, (unsigned long long)f->pfn,
				 b->refcount, d->refcount, add, f->refcount,
				 b->pincount, d->pincount, f->pincount);
	}
	mem_destroy(&m);
	free(before);
	free(during);
	free(after);
	pinctl_close(ctx);
	return bad ? -1 : 0;
}

START_TEST(refcount_back_exactly)
{
	each_attempt(kinds[_i], 0, refcount_once);
}
END_TEST

/* PIN_MEMFD: the counters by folio, and the refcounts back. */
START_TEST(memfd_pin_counted)
{
	const struct attempt a = {
		.kind = memfd_kinds[_i], .flags = PINCTL_PIN_WRITE, .memfd = 1,
	};

	exact(count_once, &a);
	exact(refcount_once, &a);
}
END_TEST

/*
 * Whether pin_user_pages*() pins the shared zero page.  Not since
 * c8070b787519 ("mm: Don't pin ZERO_PAGE in pin_user_pages()", 6.5):
 * try_grab_folio() and GUP-fast's try_grab_folio_fast() return it without
 * a reference or a count, and gup_put_folio() returns at once for it, so
 * neither its refcount nor nr_foll_pin_* move (7.3's mm/gup.c).  6.1.130
 * took the commit (Debian's linux-source-6.1: try_grab_folio(),
 * try_grab_page() and gup_put_folio() skip the zero page): Debian's 6.1
 * does not pin it either; a 6.1 before .130, 6.2, 6.3 and 6.4 do, as any
 * page, counted.
 */
static int zero_page_pinned(void)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;
	unsigned int kv;

	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	pinctl_close(ctx);
	kv = info.kernel_version;
	return kv < KV3(6, 1, 130) || (kv >= KV(6, 2) && kv < KV(6, 5));
}

#define ZERO_PAGES 4

/*
 * A read-only pin of never-touched anonymous memory: its read fault maps
 * the zero page (a mapping without THP, or it would be the huge zero
 * page).  PROBE cannot see the zero page (GUP-fast leaves special PTEs
 * alone), QUERY can: a first pin of one page of it holds it, and its
 * QUERY reads the zero page's refcount before, during and after the
 * measured pin of ZERO_PAGES more.
 */
static int zero_once(const struct attempt *a, char *why, size_t size)
{
	const size_t len = (ZERO_PAGES + 1) * PAGE;
	struct pinctl *ctx = pt_open();
	struct pinctl_page witness[3], pages[ZERO_PAGES];
	long pinned = zero_page_pinned() ? ZERO_PAGES : 0;
	char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct books b0, b1, b2;
	uint64_t w, h;
	size_t n;
	int ret, bad = 0;

	ck_assert_ptr_ne(buf, MAP_FAILED);
	ck_assert_int_eq(madvise(buf, len, MADV_NOHUGEPAGE), 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf + ZERO_PAGES * PAGE, PAGE,
				    PINCTL_PIN_LOCKED, &w), 0);
	ck_assert_int_eq(pinctl_query(ctx, w, 0, 1, &witness[0]), 0);
	ck_assert_msg(witness[0].flags & PINCTL_PAGE_ZERO, "not the zero page: flags %#x",
		      witness[0].flags);

	read_books(&b0);
	ret = pinctl_pin(ctx, buf, ZERO_PAGES * PAGE, a->flags, &h);
	read_books(&b1);
	ck_assert_msg(ret == 0, "pin: %s", strerror(-ret));
	ck_assert_int_eq(pinctl_query(ctx, h, 0, ZERO_PAGES, pages), 0);
	ck_assert_int_eq(pinctl_query(ctx, w, 0, 1, &witness[1]), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	read_books(&b2);
	ck_assert_int_eq(pinctl_query(ctx, w, 0, 1, &witness[2]), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, w, 0), 0);
	ck_assert_int_eq(munmap(buf, len), 0);
	pinctl_close(ctx);

	describe(&(struct attempt){ .kind = MEM_ANON, .flags = a->flags }, why, size);
	n = strlen(why);
	for (int i = 0; i < ZERO_PAGES; i++)
		ck_assert_msg(pages[i].flags & PINCTL_PAGE_ZERO,
			      "page %d is not the zero page: flags %#x", i, pages[i].flags);
	bad = b1.acquired - b0.acquired != pinned || b1.released != b0.released ||
	      b2.released - b1.released != pinned || b2.acquired != b1.acquired ||
	      witness[1].refcount != witness[0].refcount + pinned * PT_PIN_BIAS ||
	      witness[2].refcount != witness[0].refcount;
	if (bad)
		snprintf(why + n, size - n,
			 "%d zero pages, %ld counted: across the pin acquired +%ld released +%ld, across the unpin acquired +%ld released +%ld; the zero page's refcount %u, pinned %u, after %u",
			 ZERO_PAGES, pinned, b1.acquired - b0.acquired,
			 b1.released - b0.released, b2.acquired - b1.acquired,
			 b2.released - b1.released, witness[0].refcount,
			 witness[1].refcount, witness[2].refcount);
	return bad ? -1 : 0;
}

START_TEST(zero_page_not_counted)
{
	for (size_t i = 0; i < NMETHODS; i++)
		exact(zero_once, &(struct attempt){ .flags = methods[i] });
}
END_TEST

Suite *suite_counting(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *skip = nodev ?: cannot_count();
	const char *nomemfd = skip ?: pt_memfd_pin_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "counting", 120, &tc);

	for (int k = 0; k < NKINDS; k++) {
		const char *why = skip ?: mem_unavailable(kinds[k]);

		pt_add(run, tc, vmstat_counts_each_pin, k, k + 1, mem_name(kinds[k]), why);
		pt_add(run, tc, refcount_back_exactly, k, k + 1, mem_name(kinds[k]), why);
		if (mem_folio(kinds[k]) > PAGE)
			pt_add(run, tc, vmstat_counts_two_pages_of_a_folio, k, k + 1,
			       mem_name(kinds[k]), why);
	}
	for (int k = 0; k < NMEMFD_KINDS; k++)
		pt_add(run, tc, memfd_pin_counted, k, k + 1, mem_name(memfd_kinds[k]),
		       nomemfd ?: mem_unavailable(memfd_kinds[k]));
	PT_ADD(run, tc, zero_page_not_counted, skip);
	return s;
}
