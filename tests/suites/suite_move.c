// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel moves anonymous memory behind a process's back: ksmd merges
 * pages of equal bytes (splitting a huge page to do it), MADV_COLLAPSE and
 * khugepaged copy small pages into a huge one, compaction moves pages
 * into a zone's holes, move_pages() and a FOLL_LONGTERM pin migrate pages
 * to another node or zone.  Each must
 * leave a pinned page where it is, mapped by the process that pinned it:
 * else the device writes into a page the process no longer sees.  Each
 * case pins first, has the kernel try, shows that it did move what was
 * not pinned, and then checks the pinned page: still the one the process
 * maps (PROBE's PFN is the pin's), the device's write seen through the
 * mapping, the process's write seen by the device.
 *
 * Read against the catalogue (make mutants measures it): mutants/M28 (KSM
 * merges pinned pages) should fail ksm_leaves_pinned_pages(anon), M32 (a
 * split that unmaps a pinned huge page before it refuses) its thp row (the
 * huge page comes back mapped by small PTEs), M30 (collapse ignores pins)
 * collapse_leaves_pinned_pages, and M12 (unpinning the entries a failed
 * long-term migration cleared) should crash the kernel in
 * longterm_pin_of_a_pinned_movable_page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define MPOL_BIND 2
#define MPOL_MF_MOVE (1 << 1)
#define KSM "/sys/kernel/mm/ksm/"

/*
 * The page of pin @h at @off is the one the process maps at @addr, and
 * the device sees the process's writes, the process the device's if the
 * pin is @writable: 0, or -1 with what differed in @why.
 */
static int still_shared(struct pinctl *ctx, uint64_t h, uint64_t off,
			char *addr, int writable, const char *when, char *why,
			size_t size)
{
	struct pinctl_page pinned;
	uint64_t mapped = pt_pfn_at(ctx, addr);
	char c = 0;
	int ret;

	ret = pinctl_query(ctx, h, off / PAGE, 1, &pinned);
	if (ret) {
		snprintf(why, size, "%s: QUERY: %s", when, strerror(-ret));
		return -1;
	}
	if (mapped != pinned.pfn) {
		snprintf(why, size, "%s: the process maps PFN %#llx where its pin "
			 "holds %#llx: the pinned page was moved away from it", when,
			 (unsigned long long)mapped, (unsigned long long)pinned.pfn);
		return -1;
	}
	ret = writable ? pinctl_dma_write(ctx, h, off, "D", 1) : 0;
	if (!ret && writable && *(volatile char *)addr != 'D') {
		snprintf(why, size, "%s: the device's write is not in the mapping", when);
		return -1;
	}
	*(volatile char *)addr = 'P';
	if (!ret)
		ret = pinctl_dma_read(ctx, h, off, &c, 1);
	if (ret || c != 'P') {
		snprintf(why, size, "%s: %s", when, ret ? strerror(-ret) :
			 "the device does not see the process's write");
		return -1;
	}
	return 0;
}

/* @n pages of bytes ksmd may merge: each page different, the same each call. */
static void fill_pages(char *p, size_t n)
{
	memset(p, 'k', n * PAGE);
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * PAGE, &i, sizeof(i));
}

/*
 * ksmd, scanning every 10 ms, until it has merged each page of @a with
 * the page of @b that holds the same bytes, then for two whole scans
 * more, so that it tried the pinned pages after merging worked: 0, or -1
 * with why in @why.
 */
static int ksm_scan(struct pinctl *ctx, char *a, char *b, size_t n, char *why,
		    size_t size)
{
	long scans = -1;
	int tries;

	for (tries = 0; tries < 600; tries++, usleep(50 * 1000)) {
		size_t i = 0;

		while (scans < 0 && i < n && pt_pfn_at(ctx, a + i * PAGE) != UINT64_MAX &&
		       pt_pfn_at(ctx, a + i * PAGE) == pt_pfn_at(ctx, b + i * PAGE))
			i++;
		if (scans < 0 && i == n)
			scans = procfs_read_long(KSM "full_scans");
		if (scans >= 0 && procfs_read_long(KSM "full_scans") >= scans + 2)
			return 0;
	}
	snprintf(why, size, "ksmd %s in 30 s", scans < 0 ?
		 "did not merge the pages no one pins" : "did not finish two more scans");
	return -1;
}

/*
 * Three copies of the same pages, each in a mapping of its own: one page
 * of the first pinned for write (and with it its huge page, for thp), the
 * other two not.  ksmd merges the two copies page by page; it must leave
 * the pinned page mapped, and, on a huge page, map it huge still: to
 * merge it ksmd would split the huge page, and a split of a pinned folio
 * is refused before it unmaps anything.
 */
START_TEST(ksm_leaves_pinned_pages)
{
	const int huge = _i == MEM_THP;
	const size_t len = huge ? HUGE : 4 * PAGE, n = len / PAGE;
	const size_t align = huge ? HUGE : PAGE;
	struct pinctl *ctx = pt_open();
	char *pinned = mem_map_anon(len, align, huge);
	char *a = mem_map_anon(len, align, huge), *b = mem_map_anon(len, align, huge);
	long run0 = procfs_read_long(KSM "run");
	long sleep0 = procfs_read_long(KSM "sleep_millisecs");
	char why[256] = "";
	long huge0 = 0;
	int put_back;
	uint64_t h;

	ck_assert_msg(run0 >= 0 && sleep0 >= 0, "%s unreadable", KSM);
	fill_pages(pinned, n);
	fill_pages(a, n);
	fill_pages(b, n);
	PT_EXPECT_EQ(pinctl_pin(ctx, pinned + PAGE, PAGE, PINCTL_PIN_WRITE, &h), 0,
		     why, out);
	if (huge) {
		huge0 = procfs_vma_kb(pinned, "AnonHugePages");
		/* else no huge page: mem_unavailable(MEM_THP) let the row run */
		PT_EXPECT_EQ(huge0, (long)(HUGE >> 10), why, out);
	}
	PT_EXPECT_EQ(madvise(pinned, len, MADV_MERGEABLE), 0, why, out);
	PT_EXPECT_EQ(madvise(a, len, MADV_MERGEABLE), 0, why, out);
	PT_EXPECT_EQ(madvise(b, len, MADV_MERGEABLE), 0, why, out);
	PT_EXPECT_EQ(procfs_write(KSM "sleep_millisecs", "10"), 0, why, out);
	PT_EXPECT_EQ(procfs_write(KSM "run", "1"), 0, why, out);
	if (ksm_scan(ctx, a, b, n, why, sizeof(why)))
		goto out;
	/*
	 * ksmd stopped first (run=0 waits for its scan to end): each try at
	 * the pinned page clears its PTE for a moment, and PROBE's lockless
	 * walk would find nothing mapped there
	 */
	PT_EXPECT_EQ(procfs_write(KSM "run", "0"), 0, why, out);
	if (still_shared(ctx, h, 0, pinned + PAGE, 1, "after ksmd", why, sizeof(why)))
		goto out;
	if (huge && procfs_vma_kb(pinned, "AnonHugePages") != huge0)
		snprintf(why, sizeof(why), "the pinned huge page is mapped by %ld kB of "
			 "huge mappings after ksmd, %ld before: its split was begun "
			 "(unmapped), not refused", procfs_vma_kb(pinned, "AnonHugePages"),
			 huge0);
out:
	pinctl_close(ctx);
	put_back = !madvise(pinned, len, MADV_UNMERGEABLE) &&
		   !madvise(a, len, MADV_UNMERGEABLE) &&
		   !madvise(b, len, MADV_UNMERGEABLE) &&
		   !procfs_write_long(KSM "run", run0) &&
		   !procfs_write_long(KSM "sleep_millisecs", sleep0);
	munmap(pinned, len);
	munmap(a, len);
	munmap(b, len);
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_msg(put_back, "could not unmerge, or put back run=%ld sleep_millisecs=%ld",
		      run0, sleep0);
}
END_TEST

/*
 * Two ranges of a huge page's size, faulted in as small pages; one page of
 * the first pinned (for write, or read-only: either pin raises the
 * refcount MADV_COLLAPSE checks).  MADV_COLLAPSE of the second gives it a
 * huge page; of the first it must fail, leaving the pinned page mapped.
 */
START_TEST(collapse_leaves_pinned_pages)
{
	struct pinctl *ctx = pt_open();
	char *pinned = mem_map_anon(HUGE, HUGE, 1), *copy = mem_map_anon(HUGE, HUGE, 1);
	char why[256] = "";
	int ret, err;
	uint64_t h;

	/*
	 * Small pages: no huge one at fault time, and none from khugepaged
	 * until the pin is in place; then MADV_COLLAPSE is allowed again
	 * (and khugepaged too, which must refuse the pinned range as well)
	 */
	ck_assert_int_eq(madvise(pinned, HUGE, MADV_NOHUGEPAGE), 0);
	ck_assert_int_eq(madvise(copy, HUGE, MADV_NOHUGEPAGE), 0);
	memset(pinned, 'c', HUGE);
	memset(copy, 'c', HUGE);
	ck_assert_int_eq(procfs_vma_kb(pinned, "AnonHugePages"), 0);
	ck_assert_int_eq(pinctl_pin(ctx, pinned + 3 * PAGE, PAGE,
				    _i ? PINCTL_PIN_WRITE : 0, &h), 0);
	ck_assert_int_eq(madvise(pinned, HUGE, MADV_HUGEPAGE), 0);
	ck_assert_int_eq(madvise(copy, HUGE, MADV_HUGEPAGE), 0);

	/* EAGAIN: a page of it briefly isolated or referenced elsewhere */
	for (int tries = 0; (ret = madvise(copy, HUGE, MADV_COLLAPSE)) && errno == EAGAIN &&
	     tries < 5; tries++)
		usleep(100 * 1000);
	ck_assert_msg(!ret, "MADV_COLLAPSE of pages no one pins: %s", strerror(errno));
	ck_assert_int_eq(procfs_vma_kb(copy, "AnonHugePages"), HUGE >> 10);
	ret = madvise(pinned, HUGE, MADV_COLLAPSE);
	err = errno;
	if (!still_shared(ctx, h, 0, pinned + 3 * PAGE, _i, "after MADV_COLLAPSE", why,
			  sizeof(why)) && !ret)
		snprintf(why, sizeof(why), "MADV_COLLAPSE of a pinned range succeeded");
	pinctl_close(ctx);
	munmap(pinned, HUGE);
	munmap(copy, HUGE);
	ck_assert_msg(!why[0], "%s (MADV_COLLAPSE: %s)", why, ret ? strerror(err) : "0");
}
END_TEST

/* Of the pages compaction may move, one in this many is pinned. */
#define PIN_EVERY 64

/*
 * Compaction (vm.compact_memory) moves the pages in use in a zone from its
 * start into the free ones at its end, and must leave a pinned page where
 * it is.  ZONE_MOVABLE, its page cache dropped, filled to above its high
 * watermark with small pages (which ones the allocator hands out first is
 * its own choice), every other page freed again so that compaction has
 * holes to fill, and one in PIN_EVERY of the rest pinned.  After it, some
 * page no one pins has moved from above a pinned page (so compaction's
 * scan from the zone's start went past that one), and each pinned page is
 * still the one mapped.
 */
START_TEST(compaction_leaves_pinned_pages)
{
	long spare;
	size_t n, len, i, passed = 0, pins = 0;
	struct pinctl_page *before, *after;
	uint64_t *h, moved_from = 0;
	struct pinctl *ctx = pt_open();
	char why[256] = "";
	char *buf;

	ck_assert_int_eq(procfs_write("/proc/sys/vm/drop_caches", "1"), 0);
	spare = procfs_zone("Movable", "nr_free_pages") - 2 * procfs_zone("Movable", "high");
	ck_assert_msg(spare >= 4 * PIN_EVERY, "ZONE_MOVABLE has %ld pages to spare", spare);
	n = spare;
	len = n * PAGE;
	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	h = calloc(n / PIN_EVERY + 1, sizeof(*h));
	ck_assert(before && after && h);
	buf = mem_map_anon(len, PAGE, 0);
	memset(buf, 'c', len);
	for (i = 1; i < n; i += 2)
		ck_assert_int_eq(madvise(buf + i * PAGE, PAGE, MADV_DONTNEED), 0);
	for (i = 0; i < n; i += 2 * PIN_EVERY, pins++)
		PT_EXPECT_EQ(pinctl_pin(ctx, buf + i * PAGE, PAGE, PINCTL_PIN_WRITE, &h[pins]),
			     0, why, out);
	PT_EXPECT_EQ(pinctl_probe(ctx, buf, len, before), 0, why, out);
	PT_EXPECT_EQ(procfs_write("/proc/sys/vm/compact_memory", "1"), 0, why, out);
	PT_EXPECT_EQ(pinctl_probe(ctx, buf, len, after), 0, why, out);
	for (i = 0; i < n; i += 2)
		if (i % (2 * PIN_EVERY) && after[i].pfn != before[i].pfn &&
		    before[i].zone == PINCTL_ZONE_MOVABLE && before[i].pfn > moved_from)
			moved_from = before[i].pfn;
	for (i = 0; i < n; i += 2 * PIN_EVERY)
		passed += before[i].zone == PINCTL_ZONE_MOVABLE && before[i].pfn < moved_from;
	if (!passed) {
		snprintf(why, sizeof(why), "compaction moved no page of ZONE_MOVABLE no one "
			 "pins from above a pinned one (%zu pinned, highest pfn moved %#llx)",
			 pins, (unsigned long long)moved_from);
		goto out;
	}
	for (i = 0; i < pins; i++)
		if (still_shared(ctx, h[i], 0, buf + i * 2 * PIN_EVERY * PAGE, 1,
				 "after compaction", why, sizeof(why)))
			break;
out:
	pinctl_close(ctx);
	munmap(buf, len);
	free(h);
	free(after);
	free(before);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* The node @addr's page is on (move_pages() without nodes), or -errno. */
static int node_of(char *addr)
{
	void *pages[1] = { addr };
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, &status, 0))
		return -errno;
	return status;
}

/*
 * Two pages on one node, the first pinned; move_pages() to the other node
 * moves the second and must leave the pinned one where it is, mapped and
 * shared with the device.
 */
START_TEST(move_pages_leaves_pinned_pages)
{
	struct pinctl *ctx = pt_open();
	char *buf = mem_map_anon(2 * PAGE, PAGE, 0);
	void *pages[2] = { buf, buf + PAGE };
	int nodes[2], status[2], from;
	char why[256] = "";
	uint64_t h;

	memset(buf, 'm', 2 * PAGE);
	from = node_of(buf);
	ck_assert_msg(from >= 0 && node_of(buf + PAGE) == from,
		      "the pages are on nodes %d and %d", from, node_of(buf + PAGE));
	nodes[0] = nodes[1] = !from;
	ck_assert_int_eq(pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_msg(syscall(SYS_move_pages, 0, 2UL, pages, nodes, status,
			      MPOL_MF_MOVE) >= 0, "move_pages: %s", strerror(errno));
	/* 6.1 stores no status for a batch that failed: ask where they are */
	if (node_of(buf + PAGE) != !from)
		snprintf(why, sizeof(why), "the page no one pins did not move to node "
			 "%d: it is on %d", !from, node_of(buf + PAGE));
	else if (node_of(buf) != from)
		snprintf(why, sizeof(why), "the pinned page moved to node %d", node_of(buf));
	else
		still_shared(ctx, h, 0, buf, 1, "after move_pages", why, sizeof(why));
	pinctl_close(ctx);
	munmap(buf, 2 * PAGE);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* The @len bytes at @p dropped and faulted in again on @node: 0 or -errno. */
static int fresh_on(char *p, size_t len, int node)
{
	unsigned long mask = 1UL << node;

	if (madvise(p, len, MADV_DONTNEED) ||
	    syscall(SYS_mbind, p, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0))
		return -errno;
	memset(p, 'z', len);
	return 0;
}

/*
 * Whether the page at @addr was in ZONE_MOVABLE (0, or -errno): a
 * long-term pin migrates such a page, so its PFN changes.  The pin is
 * released at once; the page is no longer movable after it.
 */
static int was_movable(struct pinctl *ctx, char *addr)
{
	uint64_t before = pt_pfn_at(ctx, addr), h;
	int ret;

	ret = pinctl_pin(ctx, addr, PAGE, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, &h);
	if (ret)
		return ret;
	ret = pt_pfn_at(ctx, addr) != before ? 0 : -ENOENT;
	pinctl_unpin(ctx, h, 0);
	return ret;
}

/*
 * A page of ZONE_MOVABLE pinned short-term, then pinned long-term with
 * its neighbour: the long-term pin must migrate both, cannot (the first
 * pin holds one), and so fails with ENOMEM, leaving the first pin as it
 * was; once that is released, the long-term pin moves the page.  The
 * failure unpins what it had pinned after clearing it from its array
 * (a1268be280d8: unpin_user_pages() skips those NULL entries).
 */
START_TEST(longterm_pin_of_a_pinned_movable_page)
{
	struct pinctl *ctx = pt_open();
	char *buf = mem_map_anon(2 * PAGE, PAGE, 0);
	struct pinctl_stats s0, s;
	struct pinctl_page page;
	char why[256] = "";
	int node, ret = -ENOENT;
	uint64_t hold, h;

	/* the first node with movable memory: a page there a long-term pin moves */
	for (node = 0; node < 64 && ret; node++)
		if (!fresh_on(buf, PAGE, node))
			ret = was_movable(ctx, buf);
	ck_assert_msg(!ret, "no node gave a page a long-term pin migrates: %s",
		      strerror(-ret));
	ck_assert_int_eq(fresh_on(buf, 2 * PAGE, node - 1), 0);

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, buf + PAGE, PAGE, PINCTL_PIN_WRITE, &hold), 0);
	ret = pinctl_pin(ctx, buf, 2 * PAGE, PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, &h);
	ck_assert_msg(ret == -ENOMEM, "long-term pin of a page another pin holds in "
		      "ZONE_MOVABLE: %s, want ENOMEM", ret ? strerror(-ret) : "pinned");
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins + 1);
	ck_assert_int_eq(pinctl_query(ctx, hold, 0, 1, &page), 0);
	ck_assert_uint_eq(page.pincount, 1);
	ck_assert_uint_eq(page.pfn, pt_pfn_at(ctx, buf + PAGE));

	ck_assert_int_eq(pinctl_unpin(ctx, hold, 0), 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf + PAGE, PAGE,
				    PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM, &h), 0);
	ck_assert_msg(pt_pfn_at(ctx, buf + PAGE) != page.pfn,
		      "the long-term pin left the page in ZONE_MOVABLE");
	still_shared(ctx, h, 0, buf + PAGE, 1, "after the retry", why, sizeof(why));
	pinctl_close(ctx);
	munmap(buf, 2 * PAGE);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* Why no node but the first: the kernel has one (or NUMA is off). */
static const char *one_node(void)
{
	return access("/sys/devices/system/node/node1", F_OK) ?
	       "one NUMA node (boot with numa=fake=2)" : NULL;
}

/* Why no case of ZONE_MOVABLE can run: it has no memory. */
static const char *no_movable_zone(void)
{
	return procfs_zone("Movable", "managed") > 0 ? NULL : "no ZONE_MOVABLE (boot with movablecore=)";
}

Suite *suite_move(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (ksmd, PFNs, move_pages)" : NULL;
	const char *base = nodev ?: noroot;
	const char *noksm = access(KSM "run", W_OK) ? "no KSM (CONFIG_KSM)" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "move", 120, &tc);

	pt_add(run, tc, ksm_leaves_pinned_pages, MEM_ANON, MEM_ANON + 1, "anon",
	       base ?: noksm);
	pt_add(run, tc, ksm_leaves_pinned_pages, MEM_THP, MEM_THP + 1, "thp",
	       base ?: noksm ?: mem_unavailable(MEM_THP));
	pt_add(run, tc, collapse_leaves_pinned_pages, 0, 1, "read-only",
	       base ?: mem_unavailable(MEM_THP));
	pt_add(run, tc, collapse_leaves_pinned_pages, 1, 2, "write",
	       base ?: mem_unavailable(MEM_THP));
	PT_ADD(run, tc, move_pages_leaves_pinned_pages, base ?: one_node());
	PT_ADD(run, tc, compaction_leaves_pinned_pages, base ?: no_movable_zone());
	PT_ADD(run, tc, longterm_pin_of_a_pinned_movable_page, base ?: no_movable_zone());
	return s;
}
