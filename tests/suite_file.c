// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned file pages while the file changes under them: truncate and hole
 * punching take the pages out of the page cache but not out of the pin
 * (QUERY says TRUNCATED), the device may still write them, and what it
 * writes there never reaches the file; pages that stay in the cache keep
 * the device's data through a dirtying unpin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pt.h"

#define NPAGES 4

static void query_all(struct pinctl *ctx, uint64_t h, struct pinctl_page *p)
{
	ck_assert_int_eq(pinctl_query(ctx, h, 0, NPAGES, p), 0);
}

static int is_zero(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

/* Reads the file back from the disk, not from the mapping. */
static void read_back(struct test_mem *m, char *buf)
{
	ck_assert_int_eq(fsync(m->fd), 0);
	ck_assert_int_eq(munmap(m->addr, m->len), 0);
	pt_drop_caches();
	ck_assert_int_eq(pread(m->fd, buf, m->len, 0), (ssize_t)m->len);
}

/* Writeback state as QUERY reports it, on file systems that write back. */
static void check_dirty_tracking(struct pinctl *ctx, struct test_mem *m,
				 uint64_t h)
{
	struct pinctl_page p[NPAGES];

	ck_assert_int_eq(fsync(m->fd), 0);
	query_all(ctx, h, p);
	ck_assert_msg(!(p[0].flags & (PINCTL_PAGE_DIRTY | PINCTL_PAGE_WRITEBACK)),
		      "clean after fsync: flags %#x", p[0].flags);
	m->addr[0] = 1;		/* a CPU store through the shared mapping */
	query_all(ctx, h, p);
	ck_assert_msg(p[0].flags & PINCTL_PAGE_DIRTY, "CPU store left page clean");
}

START_TEST(truncate_while_pinned)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page p[NPAGES];
	struct pinctl_stats s0, s;
	struct test_mem m;
	char *buf;
	uint64_t h;

	mem_create(&m, _i, NPAGES * PAGE);
	buf = malloc(m.len);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len, PINCTL_PIN_WRITE, &h), 0);
	query_all(ctx, h, p);
	for (int i = 0; i < NPAGES; i++)
		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      PINCTL_PAGE_FILE, "page %d flags %#x", i, p[i].flags);
	if (_i == MEM_EXT4 || _i == MEM_XFS)
		check_dirty_tracking(ctx, &m, h);

	ck_assert_int_eq(ftruncate(m.fd, 0), 0);
	query_all(ctx, h, p);
	for (int i = 0; i < NPAGES; i++) {
		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      PINCTL_PAGE_TRUNCATED, "page %d flags %#x", i, p[i].flags);
		ck_assert_msg(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED,
			      "page %d lost its pin", i);
		ck_assert_int_eq(p[i].mapcount, 0);
	}
	/* the orphaned pages are still the device's to write */
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, m.len, 2), 0);
	ck_assert_int_eq(pinctl_dma_verify(ctx, h, 0, m.len, 2), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);

	ck_assert_int_eq(ftruncate(m.fd, m.len), 0);
	read_back(&m, buf);
	ck_assert_msg(is_zero(buf, m.len),
		      "DMA into truncated pages reached the %s file", mem_name(_i));
	free(buf);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

START_TEST(punch_hole_while_pinned)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page p[NPAGES];
	struct test_mem m;
	uint64_t h, bad, first;
	char *buf;

	mem_create(&m, _i, NPAGES * PAGE);
	buf = malloc(m.len);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(fallocate(m.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   PAGE, 2 * PAGE), 0);
	query_all(ctx, h, p);
	for (int i = 0; i < NPAGES; i++) {
		uint32_t want = i == 1 || i == 2 ? PINCTL_PAGE_TRUNCATED :
						   PINCTL_PAGE_FILE;

		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      want, "page %d flags %#x", i, p[i].flags);
		ck_assert(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED);
	}
	ck_assert_int_eq(fsync(m.fd), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, m.len, 3), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);

	read_back(&m, buf);
	ck_assert_msg(is_zero(buf + PAGE, 2 * PAGE),
		      "DMA into the punched hole reached the %s file", mem_name(_i));
	/* pages that stayed in the cache keep what the device wrote */
	bad = pinctl_pattern_check(buf, 0, PAGE, 3, &first);
	ck_assert_msg(bad == 0, "page 0 lost DMA data at %llu",
		      (unsigned long long)first);
	bad = pinctl_pattern_check(buf + 3 * PAGE, 3 * PAGE, PAGE, 3, &first);
	ck_assert_msg(bad == 0, "page 3 lost DMA data at %llu",
		      (unsigned long long)first);
	free(buf);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_file(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (drop_caches)" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "file", 120, &tc);

	for (int k = MEM_MEMFD; k < MEM_KINDS; k++) {
		const char *skip = nodev ?: noroot ?: mem_unavailable(k);

		pt_add(run, tc, truncate_while_pinned, k, k + 1, mem_name(k), skip);
		pt_add(run, tc, punch_hole_while_pinned, k, k + 1, mem_name(k), skip);
	}
	return s;
}
