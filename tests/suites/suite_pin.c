// SPDX-License-Identifier: GPL-2.0
/*
 * Success paths on every kind of memory and with every pin method: pin,
 * QUERY, DMA both ways, unpin dirty, PROBE, counters and pinned_vm back to
 * where they were, and for files the device's data durable in the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "procfs.h"
#include "pt.h"

static const unsigned int methods[] = {
	PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
};

/* What QUERY must say about a page of @kind that we hold pinned. */
static void check_pinned_page(const struct test_mem *m,
			      const struct pinctl_page *p, size_t i)
{
	size_t folio = mem_folio(m->kind);
	uint32_t f = p->flags;

	ck_assert_msg(f & PINCTL_PAGE_PRESENT, "page %zu not present", i);
	ck_assert_msg(f & PINCTL_PAGE_MAYBE_DMA_PINNED,
		      "%s page %zu not maybe_dma_pinned", mem_name(m->kind), i);
	ck_assert_int_ge(p->mapcount, 1);
	if (!mem_is_file(m->kind)) {
		ck_assert_msg(f & PINCTL_PAGE_ANON, "page %zu: flags %#x", i, f);
		/* a pinned anonymous page is exclusive to this mm (5.19+) */
		ck_assert_msg(f & PINCTL_PAGE_ANON_EXCLUSIVE, "page %zu: %#x", i, f);
	} else if (m->kind == MEM_MEMFD || m->kind == MEM_TMPFS ||
		   m->kind == MEM_TMPFS_HUGE) {
		ck_assert_msg((f & (PINCTL_PAGE_FILE | PINCTL_PAGE_SHMEM)) ==
			      (PINCTL_PAGE_FILE | PINCTL_PAGE_SHMEM),
			      "page %zu: flags %#x", i, f);
	} else {
		ck_assert_msg(f & PINCTL_PAGE_FILE, "page %zu: flags %#x", i, f);
		ck_assert_msg(!(f & PINCTL_PAGE_SHMEM), "page %zu: %#x", i, f);
	}
	ck_assert_uint_eq(!!(f & PINCTL_PAGE_HUGETLB), m->kind == MEM_HUGETLB);
	if (folio > PAGE) {
		ck_assert_msg(f & PINCTL_PAGE_LARGE, "%s page %zu: %#x",
			      mem_name(m->kind), i, f);
		/* a file system picks the size; at least 4 pages (order 2) */
		if (mem_folio_exact(m->kind))
			ck_assert_uint_eq(PAGE << p->order, folio);
		else
			ck_assert_uint_ge(p->order, 2);
		/* exact: one pin for each page of the folio, all pinned */
		ck_assert_msg(f & PINCTL_PAGE_PINCOUNT_EXACT, "flags %#x", f);
		ck_assert_uint_eq(p->pincount, 1U << p->order);
	} else {
		ck_assert_msg(!(f & PINCTL_PAGE_LARGE), "page %zu: %#x", i, f);
		/* GUP_PIN_COUNTING_BIAS on top of the mapping's reference */
		ck_assert_uint_ge(p->refcount, 1025);
		ck_assert_uint_ge(p->pincount, 1);
	}
}

/* After release: large folios are exact; small ones drop below the bias. */
static void check_released(struct pinctl *ctx, const struct test_mem *m)
{
	size_t n = m->len / PAGE;
	struct pinctl_page *pages = calloc(n, sizeof(*pages));

	ck_assert_int_eq(pinctl_probe(ctx, m->addr, m->len, pages), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(pages[i].flags & PINCTL_PAGE_PRESENT,
			      "page %zu vanished", i);
		ck_assert_msg(!(pages[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED),
			      "%s page %zu still pinned: refcount %u pincount %u",
			      mem_name(m->kind), i, pages[i].refcount,
			      pages[i].pincount);
	}
	free(pages);
}

/*
 * The device's data must reach the file and survive a cache drop.  The
 * mapping goes first: drop_caches keeps mapped pages, and reading those
 * back would prove nothing.
 */
static void check_file_holds(struct test_mem *m, uint64_t seed)
{
	char *buf = malloc(m->len);
	uint64_t first;

	ck_assert_int_eq(fsync(m->fd), 0);
	ck_assert_int_eq(mem_unmap(m), 0);
	pt_drop_caches();
	ck_assert_int_eq(pread(m->fd, buf, m->len, 0), (ssize_t)m->len);
	ck_assert_msg(pinctl_pattern_check(buf, 0, m->len, seed, &first) == 0,
		      "%s file lost DMA data at offset %llu", mem_name(m->kind),
		      (unsigned long long)first);
	free(buf);
}

static int longterm_refused(struct pinctl *ctx, enum mem_kind kind)
{
	struct pinctl_info info;

	/* 6.5 (8ac268436e6d): no writable FOLL_LONGTERM pins of file
	 * mappings that need dirty tracking; 6.1 still allows them. */
	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	return info.kernel_version >= KV(6, 5) &&
	       (kind == MEM_EXT4 || kind == MEM_XFS || kind == MEM_EXT4_LARGE ||
		kind == MEM_XFS_LARGE);
}

static void roundtrip(enum mem_kind kind, unsigned int flags)
{
	size_t len = 2 * mem_unit(kind), n = len / PAGE;
	struct pinctl_stats before, during, after;
	struct pinctl *ctx = pt_open();
	struct pinctl_page *pages = calloc(n, sizeof(*pages));
	char msg[] = "written by the device";
	char back[sizeof(msg)];
	uint64_t handle, bad, first;
	long vmpin0 = pt_vmpin_kb();
	struct test_mem m;
	int ret;

	mem_create(&m, kind, len);
	pinctl_pattern_fill(m.addr, 0, len, 1);
	pt_stats(ctx, &before);

	ret = pinctl_pin(ctx, m.addr, len, flags, &handle);
	if ((flags & PINCTL_PIN_LONGTERM) && longterm_refused(ctx, kind)) {
		ck_assert_msg(ret == -EFAULT, "6.5+ longterm %s pin: %d",
			      mem_name(kind), ret);
		goto out;
	}
	ck_assert_msg(ret == 0, "pin %s (%s): %s", mem_name(kind),
		      pinctl_method_name(flags), strerror(-ret));
	pt_stats(ctx, &during);
	ck_assert_uint_eq(during.live_pins, before.live_pins + 1);
	ck_assert_uint_eq(during.live_pages, before.live_pages + n);
	ck_assert_int_eq(pt_vmpin_kb(), vmpin0 + (long)(len / 1024));

	ck_assert_int_eq(pinctl_query(ctx, handle, 0, n, pages), 0);
	for (size_t i = 0; i < n; i++)
		check_pinned_page(&m, &pages[i], i);

	/* the device reads what the CPU wrote ... */
	ck_assert_int_eq(pinctl_dma_verify(ctx, handle, 0, len, 1), 0);
	/* ... and the CPU sees what the device wrote */
	ck_assert_int_eq(pinctl_dma_fill(ctx, handle, 0, len, 2), 0);
	bad = pinctl_pattern_check(m.addr, 0, len, 2, &first);
	ck_assert_msg(bad == 0, "%llu bytes differ from offset %llu",
		      (unsigned long long)bad, (unsigned long long)first);
	ck_assert_int_eq(pinctl_dma_write(ctx, handle, PAGE - 5, msg,
					  sizeof(msg)), 0);
	ck_assert_mem_eq(m.addr + PAGE - 5, msg, sizeof(msg));
	ck_assert_int_eq(pinctl_dma_read(ctx, handle, PAGE - 5, back,
					 sizeof(back)), 0);
	ck_assert_mem_eq(back, msg, sizeof(msg));
	/*
	 * Clean the pages, then let only the device write: the data can
	 * reach the file only through the dirtying unpin.
	 */
	if (mem_is_file(kind))
		ck_assert_int_eq(fsync(m.fd), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, handle, 0, len, 3), 0);

	ck_assert_int_eq(pinctl_unpin(ctx, handle, PINCTL_UNPIN_DIRTY), 0);
	pt_stats(ctx, &after);
	ck_assert_uint_eq(after.live_pins, before.live_pins);
	ck_assert_uint_eq(after.live_pages, before.live_pages);
	ck_assert_uint_eq(after.total_unpins, before.total_unpins + 1);
	ck_assert_uint_ge(after.dma_bytes, before.dma_bytes + 3 * len);
	ck_assert_int_eq(pt_vmpin_kb(), vmpin0);
	check_released(ctx, &m);
	if (mem_is_file(kind))
		check_file_holds(&m, 3);
out:
	mem_destroy(&m);
	free(pages);
	pinctl_close(ctx);
}

START_TEST(pin_query_dma_unpin)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		roundtrip(_i, methods[i] | PINCTL_PIN_WRITE);
}
END_TEST

START_TEST(longterm_pin)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;

	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	pinctl_close(ctx);
	roundtrip(_i, PINCTL_PIN_FAST | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM);
	roundtrip(_i, PINCTL_PIN_LOCKED | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM);
	if (info.longterm_methods & PINCTL_PIN_UNLOCKED)
		roundtrip(_i, PINCTL_PIN_UNLOCKED | PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM);
}
END_TEST

/*
 * Before 6.2 pin_user_pages_unlocked() refuses FOLL_LONGTERM with a
 * WARN_ON_ONCE(): pintest must say EINVAL itself, and INFO must say so;
 * from 6.2 on the method takes it.  The harness fails on any warning.
 */
START_TEST(unlocked_longterm_refused_before_6_2)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;
	char *buf = pt_anon(PAGE);
	int old, ret;
	uint64_t h;

	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	old = info.kernel_version < ((6U << 16) | (2U << 8));
	ck_assert_uint_eq(info.longterm_methods, PINCTL_PIN_REMOTE | (old ?
			  PINCTL_PIN_FAST | PINCTL_PIN_LOCKED :
			  PINCTL_PIN_FAST | PINCTL_PIN_LOCKED | PINCTL_PIN_UNLOCKED));
	ret = pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_UNLOCKED | PINCTL_PIN_LONGTERM, &h);
	ck_assert_int_eq(ret, old ? -EINVAL : 0);
	if (!ret)
		ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

/* A read-only pin may be read by the device, never written. */
START_TEST(read_only_pin)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page page;
	struct test_mem m;
	uint64_t handle;
	char c;

	mem_create(&m, _i, mem_unit(_i));
	pinctl_pattern_fill(m.addr, 0, m.len, 9);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len, 0, &handle), 0);
	ck_assert_int_eq(pinctl_query(ctx, handle, 0, 1, &page), 0);
	ck_assert(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED);
	ck_assert_int_eq(pinctl_dma_verify(ctx, handle, 0, m.len, 9), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, handle, 0, m.len, 1), -EPERM);
	ck_assert_int_eq(pinctl_dma_write(ctx, handle, 0, "x", 1), -EPERM);
	ck_assert_int_eq(pinctl_dma_read(ctx, handle, 0, &c, 1), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, handle, 0), 0);
	ck_assert_int_eq(pinctl_pattern_check(m.addr, 0, m.len, 9, NULL), 0);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * A read-only FOLL_LONGTERM pin of never-written
 * anonymous memory pins the shared zero page, so the process's first
 * write goes to a new page the pin never sees.  Fixed in 6.2 (84209e87c696,
 * unshare on R/O long-term pins in COW mappings).  The test asserts what
 * this kernel does, stale before 6.2 and fresh after.
 */
START_TEST(ro_longterm_pin_of_untouched_anon_stale_before_6_2)
{
	struct pinctl *ctx = pt_open();
	volatile char *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pinctl_info info;
	struct pinctl_page page;
	uint64_t h;
	char seen;

	ck_assert_ptr_ne((void *)buf, MAP_FAILED);
	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	ck_assert_int_eq(buf[0], 0);		/* maps the zero page */
	ck_assert_int_eq(pinctl_pin(ctx, (void *)buf, PAGE, PINCTL_PIN_LONGTERM, &h), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, 1, &page), 0);
	buf[0] = 0x5a;
	ck_assert_int_eq(pinctl_dma_read(ctx, h, 0, &seen, 1), 0);
	if (info.kernel_version < KV(6, 2)) {
		ck_assert_msg(page.flags & PINCTL_PAGE_ZERO,
			      "before 6.2: expected the zero page, flags %#x", page.flags);
		ck_assert_msg(seen == 0, "before 6.2: expected a stale pin, got %#x", seen);
	} else {
		ck_assert_msg(!(page.flags & PINCTL_PAGE_ZERO), "6.2+: zero page pinned");
		ck_assert_msg(seen == 0x5a, "6.2+: stale pin (%#x)", seen);
	}
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

START_TEST(info_reports_this_kernel)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;
	struct utsname u;
	unsigned int a, b;

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_eq(sscanf(u.release, "%u.%u", &a, &b), 2);
	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	ck_assert_uint_eq(info.abi_version, 4);
	ck_assert_uint_eq(info.page_size, (unsigned int)getpagesize());
	/* PIN_MEMFD: memfd_pin_folios() came in 6.10 */
	ck_assert_uint_eq(info.methods, PINCTL_PIN_FAST | PINCTL_PIN_LOCKED |
			  PINCTL_PIN_UNLOCKED | PINCTL_PIN_REMOTE |
			  (info.kernel_version >= KV(6, 10) ? PINCTL_PIN_MEMFD : 0));
	ck_assert_uint_eq(info.kernel_version >> 8, (a << 8) + b);
	ck_assert_uint_gt(info.max_pin_pages, 0);
	ck_assert_uint_gt(info.max_handles, 0);
	pinctl_close(ctx);
}
END_TEST

/* Bytes the module holds for live pins. */
static uint64_t bookkeeping(struct pinctl *ctx)
{
	struct pinctl_stats2 s = { .sz = sizeof(s) };

	ck_assert_int_eq(pinctl_stats2(ctx, &s), 0);
	return s.bookkeeping_bytes;
}

/*
 * ABI 2: PIN and UNPIN say how long the kernel spent, and STATS how many
 * bytes the module holds for live pins (a record and 8 bytes a small page).
 */
START_TEST(timing_and_bookkeeping_reported)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(64 * PAGE);
	struct pinctl_pin_result pin = { .sz = sizeof(pin) };
	struct pinctl_unpin_result unpin = { .sz = sizeof(unpin) };
	uint64_t bytes0 = bookkeeping(ctx), bytes;

	ck_assert_int_eq(pinctl_pin2(ctx, buf, 64 * PAGE, 0, &pin), 0);
	ck_assert_uint_gt(pin.pin_ns, 0);
	ck_assert_uint_eq(pin.npages, 64);
	bytes = bookkeeping(ctx) - bytes0;
	ck_assert_uint_ge(bytes, 64 * 8);
	ck_assert_uint_le(bytes, 64 * 8 + 4096);
	ck_assert_int_eq(pinctl_unpin2(ctx, pin.handle, 0, &unpin), 0);
	ck_assert_uint_gt(unpin.unpin_ns, 0);
	ck_assert_uint_eq(bookkeeping(ctx), bytes0);
	pinctl_close(ctx);
}
END_TEST

/*
 * The answers of libpinctl 1.1 can grow: a caller built against a newer
 * header (a larger sz) gets its unknown tail zeroed, one built against an
 * older header gets what it knows, and an sz below the first version is
 * refused before anything is done.
 */
START_TEST(library_answers_grow)
{
	struct pinctl *ctx = pt_open();
	struct { struct pinctl_stats2 s; uint64_t later[2]; } newer;
	struct { struct pinctl_info2 i; uint64_t later; } newer_info;
	struct pinctl_stats2 small = { .sz = offsetof(struct pinctl_stats2, bookkeeping_bytes) };
	struct pinctl_pin_result res = { .sz = sizeof(size_t) };
	struct pinctl_info info1;
	struct pinctl_stats s0, s1;
	char *buf = pt_anon(PAGE);

	memset(&newer, 0xa5, sizeof(newer));
	newer.s.sz = sizeof(newer);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_stats2(ctx, &newer.s), 0);
	ck_assert_uint_eq(newer.later[0], 0);
	ck_assert_uint_eq(newer.later[1], 0);
	ck_assert_uint_ge(newer.s.total_pins, s0.total_pins);
	ck_assert_uint_ne(newer.s.live_pins, 0xa5a5a5a5a5a5a5a5ULL);

	memset(&newer_info, 0xa5, sizeof(newer_info));
	newer_info.i.sz = sizeof(newer_info);
	ck_assert_int_eq(pinctl_info2(ctx, &newer_info.i), 0);
	ck_assert_int_eq(pinctl_info(ctx, &info1), 0);
	ck_assert_uint_eq(newer_info.i.page_size, info1.page_size);
	ck_assert_uint_eq(newer_info.i.longterm_methods, info1.longterm_methods);
	ck_assert_uint_eq(newer_info.i.page_entry_size, sizeof(struct pinctl_page));
	ck_assert_uint_eq(newer_info.later, 0);

	ck_assert_int_eq(pinctl_stats2(ctx, &small), -EINVAL);
	ck_assert_int_eq(pinctl_pin2(ctx, buf, PAGE, 0, &res), -EINVAL);
	pt_stats(ctx, &s1);
	ck_assert_uint_eq(s1.total_pins, s0.total_pins);
	pinctl_close(ctx);
}
END_TEST

/*
 * One pin that starts in the second half of a THP and runs on into small
 * pages: in one chunk of pin_user_pages*(), a run of a large folio, then
 * single pages.  QUERY, the device and the bookkeeping (one run, then a
 * slot a page) see each part as it is.
 */
START_TEST(pin_across_a_thp_into_small_pages)
{
	struct pinctl *ctx = pt_open();
	size_t half = HUGE / 2, len = HUGE, n = len / PAGE;
	/* a PMD folio's order: 9 with 4 KiB pages, 11 with 16 KiB */
	const unsigned int pmd_order = __builtin_ctzl(HUGE / PAGE);
	struct pinctl_page *pages = calloc(n, sizeof(*pages));
	struct pinctl_stats2 s0 = { .sz = sizeof(s0) }, s1 = s0;
	uint64_t h, one, mixed, record;
	struct test_mem m;
	char *start;

	mem_create(&m, MEM_THP, 2 * HUGE);
	/* the second huge page becomes small ones */
	ck_assert_int_eq(madvise(m.addr + HUGE, HUGE, MADV_NOHUGEPAGE), 0);
	ck_assert_int_eq(madvise(m.addr + HUGE, HUGE, MADV_DONTNEED), 0);
	memset(m.addr + HUGE, 0, HUGE);
	start = m.addr + half;
	ck_assert_int_eq(pinctl_stats2(ctx, &s0), 0);
	ck_assert_int_eq(pinctl_pin(ctx, start, len, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_stats2(ctx, &s1), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, n, pages), 0);
	for (size_t i = 0; i < n; i++) {
		int large = i < half / PAGE;

		ck_assert_msg(!!(pages[i].flags & PINCTL_PAGE_LARGE) == large,
			      "page %zu: flags %#x", i, pages[i].flags);
		ck_assert_uint_eq(pages[i].order, large ? pmd_order : 0);
	}
	/*
	 * The half THP is one run of 16 bytes, each small page 8; a pin of
	 * one small page costs the record and 8.
	 */
	mixed = s1.bookkeeping_bytes - s0.bookkeeping_bytes;
	ck_assert_int_eq(pinctl_pin(ctx, m.addr + HUGE, PAGE, 0, &one), 0);
	ck_assert_int_eq(pinctl_stats2(ctx, &s0), 0);
	record = s0.bookkeeping_bytes - s1.bookkeeping_bytes - 8;
	ck_assert_uint_eq(mixed, record + 16 + 8 * (half / PAGE));
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, len, 6), 0);
	ck_assert_uint_eq(pinctl_pattern_check(start, 0, len, 6, NULL), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, one, 0), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	mem_destroy(&m);
	free(pages);
	pinctl_close(ctx);
}
END_TEST

/*
 * What a PMD maps on this machine, by architecture and page size (0: no
 * table for it): 2 MiB with 4 KiB pages, on x86-64 as on arm64; 32 MiB
 * with arm64's 16 KiB pages, 512 MiB with its 64 KiB.
 */
static size_t pmd_size_here(void)
{
#if defined(__x86_64__)
	return PAGE == 4096 ? 2UL << 20 : 0;
#elif defined(__aarch64__)
	switch (PAGE) {
	case 4096:
		return 2UL << 20;
	case 16384:
		return 32UL << 20;
	case 65536:
		return 512UL << 20;
	}
#endif
	return 0;
}

/*
 * The sizes every "huge" kind follows, asserted by name rather than
 * derived: the kernel's THP size, its default huge page, and the folio
 * a pin of a THP holds are the PMD size of the table above.
 */
START_TEST(pmd_is_2m_with_4k_pages_32m_with_arm64_16k)
{
	size_t want = pmd_size_here();
	struct pinctl *ctx = pt_open();
	struct pinctl_page page;
	struct test_mem m;
	uint64_t h;

	ck_assert_int_eq(procfs_read_long("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"),
			 want);
	ck_assert_uint_eq(util_hugetlb_size(), want);
	mem_create(&m, MEM_THP, want);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, want, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, 1, &page), 0);
	ck_assert_msg(page.flags & PINCTL_PAGE_LARGE, "flags %#x", page.flags);
	ck_assert_uint_eq(page.order, __builtin_ctzl(want / PAGE));
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/* QUERY of part of a pin, and many pins of one range at once. */
START_TEST(partial_query_and_stacked_pins)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page page;
	struct test_mem m;
	uint64_t h[3];

	mem_create(&m, MEM_ANON, 4 * PAGE);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len,
					    PINCTL_PIN_WRITE, &h[i]), 0);
	ck_assert_uint_ne(h[0], h[1]);
	ck_assert_int_eq(pinctl_query(ctx, h[1], 3, 1, &page), 0);
	ck_assert_uint_ge(page.refcount, 3 * 1024 + 1);
	ck_assert_uint_eq(page.pincount, 3);
	ck_assert_int_eq(pinctl_unpin(ctx, h[0], 0), 0);
	ck_assert_int_eq(pinctl_query(ctx, h[2], 3, 1, &page), 0);
	ck_assert_uint_eq(page.pincount, 2);
	ck_assert_int_eq(pinctl_unpin(ctx, h[1], 0), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h[2], 0), 0);
	ck_assert_int_eq(pinctl_probe(ctx, m.addr + 3 * PAGE, PAGE, &page), 0);
	ck_assert_uint_lt(page.refcount, 1024);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * The module stores a pin as folio ranges.  Pin 7 small pages followed by
 * two THPs (1031 pages, three pin chunks, runs continued across chunk
 * boundaries) and check every page: QUERY one by one and in a batch that
 * crosses from small to huge, the device's view of each page against the
 * CPU's, and that the pin costs far less than a slot per page.
 */
START_TEST(folio_ranges_map_every_page)
{
	const size_t small = 7, n = small + 2 * HUGE / PAGE;
	/* what reclaim and the device change while we look */
	const uint32_t moving = PINCTL_PAGE_LRU | PINCTL_PAGE_DIRTY;
	struct pinctl *ctx = pt_open();
	struct pinctl_page *one = calloc(n, sizeof(*one));
	struct pinctl_page batch[20];
	uint64_t handle, bytes0, bytes, first;
	struct test_mem m;
	char *start;

	mem_create(&m, MEM_THP, 3 * HUGE);
	/* the first PMD again, as small folios */
	ck_assert_int_eq(madvise(m.addr, HUGE, MADV_DONTNEED), 0);
	ck_assert_int_eq(madvise(m.addr, HUGE, MADV_NOHUGEPAGE), 0);
	memset(m.addr, 0, HUGE);
	start = m.addr + HUGE - small * PAGE;
	pinctl_pattern_fill(start, 0, n * PAGE, 7);

	bytes0 = bookkeeping(ctx);
	ck_assert_int_eq(pinctl_pin(ctx, start, n * PAGE, PINCTL_PIN_WRITE,
				    &handle), 0);
	bytes = bookkeeping(ctx) - bytes0;
	ck_assert_msg(bytes < n * 8 / 4, "%zu pages held in %llu bytes", n,
		      (unsigned long long)bytes);

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(pinctl_query(ctx, handle, i, 1, &one[i]), 0);
		check_pinned_page(&(struct test_mem){ .kind = i < small ?
						      MEM_ANON : MEM_THP },
				  &one[i], i);
		ck_assert_msg(!(one[i].flags & PINCTL_PAGE_LARGE) == (i < small),
			      "page %zu: flags %#x", i, one[i].flags);
		ck_assert_int_eq(pinctl_dma_verify(ctx, handle, i * PAGE, PAGE,
						   7), 0);
		/* one byte per page, across each page boundary */
		if (i)
			ck_assert_int_eq(pinctl_dma_fill(ctx, handle,
							 i * PAGE - 3, 6, 8),
					 0);
	}
	ck_assert_int_eq(pinctl_query(ctx, handle, 2, 20, batch), 0);
	for (size_t i = 0; i < 20; i++)
		ck_assert_msg(((batch[i].flags ^ one[2 + i].flags) & ~moving) == 0 &&
			      batch[i].order == one[2 + i].order,
			      "batch entry %zu (flags %#x order %u) differs from page %zu (%#x %u)",
			      i, batch[i].flags, batch[i].order, 2 + i,
			      one[2 + i].flags, one[2 + i].order);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(pinctl_pattern_check(start + i * PAGE - 3,
						   i * PAGE - 3, 6, 8,
						   &first) == 0,
			      "device wrote page %zu elsewhere", i);
	ck_assert_int_eq(pinctl_unpin(ctx, handle, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_uint_eq(bookkeeping(ctx), bytes0);
	check_released(ctx, &m);
	mem_destroy(&m);
	free(one);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_pin(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "pin", 300, &tc);

	PT_ADD(run, tc, info_reports_this_kernel, nodev);
	PT_ADD(run, tc, partial_query_and_stacked_pins, nodev);
	PT_ADD(run, tc, timing_and_bookkeeping_reported, nodev);
	PT_ADD(run, tc, library_answers_grow, nodev);
	PT_ADD(run, tc, pin_across_a_thp_into_small_pages, nodev ?: mem_unavailable(MEM_THP));
	PT_ADD(run, tc, pmd_is_2m_with_4k_pages_32m_with_arm64_16k,
	       nodev ?: mem_unavailable(MEM_THP) ?:
	       (pmd_size_here() ? NULL : "no PMD size known for this architecture and page size"));
	PT_ADD(run, tc, folio_ranges_map_every_page,
	       nodev ?: mem_unavailable(MEM_THP));
	PT_ADD(run, tc, unlocked_longterm_refused_before_6_2, nodev);
	PT_ADD(run, tc, ro_longterm_pin_of_untouched_anon_stale_before_6_2, nodev);
	for (int k = 0; k < MEM_KINDS; k++) {
		const char *skip = nodev ?: mem_is_file(k) && getuid() ?
				   "needs root (drop_caches)" : mem_unavailable(k);

		pt_add(run, tc, pin_query_dma_unpin, k, k + 1, mem_name(k), skip);
		pt_add(run, tc, longterm_pin, k, k + 1, mem_name(k), skip);
		pt_add(run, tc, read_only_pin, k, k + 1, mem_name(k), skip);
	}
	return s;
}
