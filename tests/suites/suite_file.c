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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt.h"

#define NPAGES 4

static void query_all(struct pinctl *ctx, uint64_t h, struct pinctl_page *p)
{
	ck_assert_int_eq(pinctl_query(ctx, h, 0, NPAGES, p), 0);
}

static int is_zero(const char *buf, size_t len)
{
	return util_span_of(buf, len, 0) == len;
}

/* Reads the file back from the disk, not from the mapping. */
static void read_back(struct test_mem *m, char *buf)
{
	ck_assert_int_eq(fsync(m->fd), 0);
	ck_assert_int_eq(mem_unmap(m), 0);
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

/*
 * Large page-cache folios: xfs and ext4 (7.x) files written in one go,
 * tmpfs mounted huge=always.  A pinned folio cannot be split, so a
 * truncate or hole punch through it leaves it whole; what each file
 * system then does with the rest, as measured on 6.12 and 7.3:
 *
 * - truncate into the middle: the folio stays in the cache, its pages
 *   past EOF unmapped (touching them is SIGBUS) and the device may write
 *   them.  xfs and ext4 zero the tail when the file grows again; tmpfs
 *   does not, so what the device wrote past EOF comes back into the file.
 * - punch a hole in part of it: xfs writes the range back first, and a
 *   clean folio that cannot split is dropped from the cache whole: the
 *   device's later writes are lost, outside the hole too.  ext4 and tmpfs
 *   keep it.  tmpfs's cache is the file: the device's writes fill the
 *   hole in again.  ext4 keeps them outside the hole; inside it, whether
 *   they come back depends on what ran in between (a probe that did not
 *   fsync before the device wrote saw the hole refilled, this test does
 *   fsync and sees zeros): each byte is one or the other.
 */

/* Bytes of @buf that are neither zero nor the pattern of @seed at @pos. */
static size_t neither_zero_nor_pattern(const char *buf, uint64_t pos,
				       size_t len, uint64_t seed)
{
	char *want = malloc(len);
	size_t n = 0;

	ck_assert_ptr_nonnull(want);
	pinctl_pattern_fill(want, pos, len, seed);
	for (size_t i = 0; i < len; i++)
		n += buf[i] && buf[i] != want[i];
	free(want);
	return n;
}

/* The pages of the first folio of pin @h, from its order. */
static size_t first_folio_pages(struct pinctl *ctx, uint64_t h)
{
	struct pinctl_page p;

	ck_assert_int_eq(pinctl_query(ctx, h, 0, 1, &p), 0);
	ck_assert_msg(p.flags & PINCTL_PAGE_LARGE, "not a large folio: %#x", p.flags);
	ck_assert_uint_ge(p.order, 2);
	return 1UL << p.order;
}

static struct pinctl_page *query_n(struct pinctl *ctx, uint64_t h, size_t n)
{
	struct pinctl_page *p = calloc(n, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, n, p), 0);
	return p;
}

/* A store at @addr in a child: its signal, or 0 when it survived. */
static int store_signal(char *addr)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		signal(SIGBUS, SIG_DFL);	/* not AddressSanitizer's */
		*(volatile char *)addr = 1;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

START_TEST(truncate_through_a_pinned_large_folio)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_page *p;
	size_t fpages, eof, n, folio;
	struct test_mem m;
	uint64_t h, bad, first;
	char *buf;

	mem_create(&m, _i, 2 * mem_unit(_i));
	n = m.len / PAGE;
	buf = malloc(m.len);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len, PINCTL_PIN_WRITE, &h), 0);
	fpages = first_folio_pages(ctx, h);
	folio = fpages * PAGE;
	eof = folio / 2;
	ck_assert_int_eq(ftruncate(m.fd, eof), 0);
	p = query_n(ctx, h, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t want = i < fpages ? PINCTL_PAGE_FILE : PINCTL_PAGE_TRUNCATED;

		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      want, "%s page %zu of a folio of %zu: flags %#x (split?)",
			      mem_name(_i), i, fpages, p[i].flags);
		ck_assert_msg(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED, "page %zu", i);
		if (i * PAGE >= eof)
			ck_assert_int_eq(p[i].mapcount, 0);
	}
	ck_assert_int_eq(store_signal(m.addr + eof + PAGE), SIGBUS);

	/* the device writes all of it; then the file grows back */
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, m.len, 4), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_int_eq(ftruncate(m.fd, m.len), 0);
	read_back(&m, buf);
	bad = pinctl_pattern_check(buf, 0, eof, 4, &first);
	ck_assert_msg(bad == 0, "before EOF the device's data was lost at %llu",
		      (unsigned long long)first);
	if (_i == MEM_TMPFS_HUGE) {
		bad = pinctl_pattern_check(buf + eof, eof, folio - eof, 4, &first);
		ck_assert_msg(bad == 0, "tmpfs zeroed the tail past the old EOF "
			      "(it did not on 6.12 and 7.3): %llu bytes",
			      (unsigned long long)bad);
	} else {
		ck_assert_msg(is_zero(buf + eof, folio - eof),
			      "what the device wrote past EOF reached the %s file",
			      mem_name(_i));
	}
	ck_assert_msg(is_zero(buf + folio, m.len - folio),
		      "DMA into truncated folios reached the %s file", mem_name(_i));
	free(p);
	free(buf);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

START_TEST(punch_through_a_pinned_large_folio)
{
	struct pinctl *ctx = pt_open();
	int dropped = _i == MEM_XFS_LARGE;
	struct pinctl_page *p;
	size_t fpages, folio;
	struct test_mem m;
	uint64_t h, bad, first;
	char *buf;

	mem_create(&m, _i, 2 * mem_unit(_i));
	buf = malloc(m.len);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, m.len, PINCTL_PIN_WRITE, &h), 0);
	fpages = first_folio_pages(ctx, h);
	folio = fpages * PAGE;
	ck_assert_int_eq(fallocate(m.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   folio / 4, folio / 2), 0);
	p = query_n(ctx, h, fpages);
	for (size_t i = 0; i < fpages; i++) {
		uint32_t want = dropped ? PINCTL_PAGE_TRUNCATED : PINCTL_PAGE_FILE;

		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      want, "%s page %zu of a folio of %zu: flags %#x",
			      mem_name(_i), i, fpages, p[i].flags);
		ck_assert_msg(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED, "page %zu", i);
	}
	ck_assert_int_eq(fsync(m.fd), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, h, 0, m.len, 5), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	read_back(&m, buf);
	if (dropped) {
		ck_assert_msg(is_zero(buf, folio), "xfs kept the device's writes to a "
			      "folio it dropped (it lost them on 6.12 and 7.3)");
	} else if (_i == MEM_TMPFS_HUGE) {
		bad = pinctl_pattern_check(buf, 0, folio, 5, &first);
		ck_assert_msg(bad == 0, "tmpfs: %llu bytes of the folio, from %llu, are "
			      "not the device's (the hole was refilled on 6.12 and 7.3)",
			      (unsigned long long)bad, (unsigned long long)first);
	} else {
		bad = pinctl_pattern_check(buf, 0, folio / 4, 5, &first) +
		      pinctl_pattern_check(buf + folio * 3 / 4, folio * 3 / 4,
					   folio / 4, 5, &first);
		ck_assert_msg(bad == 0, "%s lost the device's data outside the hole",
			      mem_name(_i));
		ck_assert_uint_eq(neither_zero_nor_pattern(buf + folio / 4, folio / 4,
							   folio / 2, 5), 0);
	}
	/* the folios the punch did not touch keep what the device wrote */
	bad = pinctl_pattern_check(buf + folio, folio, m.len - folio, 5, &first);
	ck_assert_msg(bad == 0, "past the punched folio: lost at %llu",
		      (unsigned long long)first);
	free(p);
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

		if (mem_folio(k) == PAGE) {
			pt_add(run, tc, truncate_while_pinned, k, k + 1, mem_name(k), skip);
			pt_add(run, tc, punch_hole_while_pinned, k, k + 1, mem_name(k), skip);
		} else {
			pt_add(run, tc, truncate_through_a_pinned_large_folio, k, k + 1,
			       mem_name(k), skip);
			pt_add(run, tc, punch_through_a_pinned_large_folio, k, k + 1,
			       mem_name(k), skip);
		}
	}
	return s;
}
