// SPDX-License-Identifier: GPL-2.0
/*
 * Pins by file offset (PIN_MEMFD: memfd_pin_folios(), 6.10+), as udmabuf
 * takes them: one pin per folio whatever the pages it covers, the same
 * QUERY, DMA, writer and UNPIN as a pin by address, the file changing
 * under it (truncate, hole punch) without the device's writes reaching
 * the file, and the seals that keep a device from writing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pt.h"

/* The files PIN_MEMFD takes: three kinds of mem.c and a hugetlbfs memfd. */
#define HUGETLB_MEMFD MEM_KINDS
static const int kinds[] = { MEM_MEMFD, MEM_TMPFS, MEM_TMPFS_HUGE, HUGETLB_MEMFD };
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

static size_t folio_of(int kind)
{
	return kind == HUGETLB_MEMFD ? util_hugetlb_size() : mem_folio(kind);
}

static const char *kind_name(int kind)
{
	return kind == HUGETLB_MEMFD ? "hugetlb-memfd" : mem_name(kind);
}

/* @len bytes of file of @kind, mapped and faulted in, all zero. */
static void file_create(struct test_mem *m, int kind, size_t len)
{
	if (kind != HUGETLB_MEMFD) {
		mem_create(m, kind, len);
		return;
	}
	memset(m, 0, sizeof(*m));
	m->kind = MEM_HUGETLB;
	m->len = len;
	m->fd = memfd_create("pintest-hugetlb", MFD_CLOEXEC | MFD_HUGETLB);
	ck_assert_msg(m->fd >= 0, "hugetlb memfd: %s", strerror(errno));
	ck_assert_int_eq(ftruncate(m->fd, len), 0);
	m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	ck_assert_msg(m->addr != MAP_FAILED, "mmap hugetlb memfd: %s", strerror(errno));
	for (size_t off = 0; off < len; off += PAGE)
		((volatile char *)m->addr)[off] = 0;
}

static int pin_file(struct pinctl *ctx, int fd, uint64_t off, size_t len,
		    unsigned int flags, struct pinctl_pin_result *res)
{
	res->sz = sizeof(*res);
	return pinctl_pin_memfd(ctx, fd, off, len, flags, res);
}

static unsigned int order_of(size_t folio)
{
	unsigned int order = 0;

	while ((PAGE << order) < folio)
		order++;
	return order;
}

/* The file's bytes [@off, @off + @len) against the pattern of @seed. */
static void check_file(int fd, uint64_t off, size_t len, uint64_t seed)
{
	char *buf = malloc(len);
	uint64_t bad, first;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	bad = pinctl_pattern_check(buf, 0, len, seed, &first);
	ck_assert_msg(!bad, "%llu bytes differ from the device's, first at %llu",
		      (unsigned long long)bad, (unsigned long long)first);
	free(buf);
}

/*
 * Two large folios of the file, or four small ones, pinned from the second
 * page to the one before the last: every folio is pinned once (exact
 * pincount 1 for a large one), where a pin by address of the same range
 * pins every page.
 */
START_TEST(pins_a_file_by_offset)
{
	int kind = kinds[_i];
	size_t folio = folio_of(kind), len = folio == PAGE ? 4 * PAGE : 2 * folio;
	size_t plen = len - 2 * PAGE;
	size_t npages = plen / PAGE;
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res;
	struct pinctl_stats s0, s;
	/* PROBE reports every page of the file's mapping, QUERY the pin's */
	struct pinctl_page *p = calloc(len / PAGE, sizeof(*p));
	long vm0 = pt_vmpin_kb();
	struct test_mem m;
	uint64_t byaddr;
	char word[8] = "abcdefg";

	ck_assert_ptr_nonnull(p);
	file_create(&m, kind, len);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pin_file(ctx, m.fd, PAGE, plen, PINCTL_PIN_WRITE, &res), 0);
	ck_assert_uint_eq(res.npages, npages);
	ck_assert_uint_eq(res.nfolios, folio == PAGE ? npages : 2);
	ck_assert_int_eq(pt_vmpin_kb(), vm0 + (long)(plen >> 10));

	ck_assert_int_eq(pinctl_query(ctx, res.handle, 0, npages, p), 0);
	for (size_t i = 0; i < npages; i++) {
		unsigned int want = PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED |
				    PINCTL_PAGE_FILE |
				    (kind == HUGETLB_MEMFD ? PINCTL_PAGE_HUGETLB : PINCTL_PAGE_SHMEM);

		ck_assert_msg((p[i].flags & want) == want, "page %zu: flags %#x, want %#x",
			      i, p[i].flags, want);
		ck_assert_uint_eq(p[i].order, order_of(folio));
		ck_assert_uint_eq(p[i].pincount, 1);
		if (folio > PAGE)
			ck_assert(p[i].flags & PINCTL_PAGE_PINCOUNT_EXACT);
	}

	/* the same range by address: a pin on every page it covers */
	ck_assert_int_eq(pinctl_pin(ctx, m.addr + PAGE, plen, 0, &byaddr), 0);
	ck_assert_int_eq(pinctl_query(ctx, res.handle, 0, 1, p), 0);
	ck_assert_uint_eq(p[0].pincount, folio == PAGE ? 2 : folio / PAGE);
	ck_assert_int_eq(pinctl_unpin(ctx, byaddr, 0), 0);

	/* the device writes the file's pages and reads what the CPU wrote */
	ck_assert_int_eq(pinctl_dma_fill(ctx, res.handle, 0, plen, 11), 0);
	check_file(m.fd, PAGE, plen, 11);
	/* through the mapping: hugetlbfs has no write() */
	memcpy(m.addr + PAGE + 100, word, sizeof(word));
	memset(word, 0, sizeof(word));
	ck_assert_int_eq(pinctl_dma_read(ctx, res.handle, 100, word, sizeof(word)), 0);
	ck_assert_str_eq(word, "abcdefg");

	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, 0), 0);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.live_pages, s0.live_pages);
	/* every pin given back: no page looks pinned any more */
	ck_assert_int_eq(pinctl_probe(ctx, m.addr, len, p), 0);
	for (size_t i = 0; i < len / PAGE; i++)
		ck_assert_msg(!(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED),
			      "page %zu still pinned after UNPIN", i);
	mem_destroy(&m);
	free(p);
	pinctl_close(ctx);
}
END_TEST

/*
 * Truncation takes the pinned folios out of the file, not out of the pin:
 * they read TRUNCATED, the writer keeps writing them, and when the file
 * grows again it holds zeroes, not the device's data.
 */
START_TEST(truncate_under_a_file_pin)
{
	int kind = kinds[_i];
	size_t len = 2 * folio_of(kind), npages = len / PAGE;
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res;
	struct pinctl_page *p = calloc(npages, sizeof(*p));
	uint64_t passes;
	struct test_mem m;

	ck_assert_ptr_nonnull(p);
	file_create(&m, kind, len);
	ck_assert_int_eq(mem_unmap(&m), 0);
	ck_assert_int_eq(pin_file(ctx, m.fd, 0, len, PINCTL_PIN_WRITE, &res), 0);
	ck_assert_int_eq(pinctl_dma_start(ctx, res.handle, 0, len, 5, 0, 0), 0);
	ck_assert_int_eq(ftruncate(m.fd, 0), 0);
	ck_assert_int_eq(pinctl_query(ctx, res.handle, 0, npages, p), 0);
	for (size_t i = 0; i < npages; i++)
		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			      PINCTL_PAGE_TRUNCATED, "page %zu: flags %#x", i, p[i].flags);
	ck_assert_int_eq(pinctl_dma_stop(ctx, res.handle, &passes, NULL), 0);
	ck_assert_int_eq(pinctl_dma_fill(ctx, res.handle, 0, len, 6), 0);
	ck_assert_int_eq(pinctl_dma_verify(ctx, res.handle, 0, len, 6), 0);

	ck_assert_int_eq(ftruncate(m.fd, len), 0);
	pt_file_is_zero(m.fd, 0, len);
	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, PINCTL_UNPIN_DIRTY), 0);
	pt_file_is_zero(m.fd, 0, len);
	mem_destroy(&m);
	free(p);
	pinctl_close(ctx);
}
END_TEST

/*
 * A hole punched into pinned small folios: its pages leave the file and
 * read back as zeroes; the pages around it keep the device's data
 * through a dirtying UNPIN.
 */
START_TEST(punch_under_a_file_pin)
{
	int kind = kinds[_i];
	size_t len = 4 * PAGE;
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res;
	struct pinctl_page p[4];
	struct test_mem m;

	file_create(&m, kind, len);
	ck_assert_int_eq(pin_file(ctx, m.fd, 0, len, PINCTL_PIN_WRITE, &res), 0);
	ck_assert_int_eq(fallocate(m.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   PAGE, 2 * PAGE), 0);
	ck_assert_int_eq(pinctl_query(ctx, res.handle, 0, 4, p), 0);
	for (int i = 0; i < 4; i++) {
		unsigned int want = i == 1 || i == 2 ? PINCTL_PAGE_TRUNCATED : PINCTL_PAGE_FILE;

		ck_assert_msg((p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) == want,
			      "page %d: flags %#x", i, p[i].flags);
	}
	ck_assert_int_eq(pinctl_dma_fill(ctx, res.handle, 0, len, 8), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, res.handle, PINCTL_UNPIN_DIRTY), 0);
	pt_file_is_zero(m.fd, PAGE, 2 * PAGE);
	{
		char *buf = malloc(len);
		uint64_t first;

		ck_assert_ptr_nonnull(buf);
		ck_assert_int_eq(pread(m.fd, buf, len, 0), (ssize_t)len);
		ck_assert_uint_eq(pinctl_pattern_check(buf, 0, PAGE, 8, &first), 0);
		ck_assert_uint_eq(pinctl_pattern_check(buf + 3 * PAGE, 3 * PAGE, PAGE, 8,
						       &first), 0);
		free(buf);
	}
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * Seals and pins: F_SEAL_WRITE waits for the pins to go and gives up with
 * EBUSY (memfd_wait_for_pins()); a write-sealed memfd, or one open
 * read-only, gets no writing pin, and still a reading one.
 */
START_TEST(seals_and_pins)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res, ro;
	char path[64];
	int fd = memfd_create("pintest-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int rdonly, future;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 * PAGE), 0);
	ck_assert_int_eq(pin_file(ctx, fd, 0, 4 * PAGE, 0, &ro), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(pinctl_unpin(ctx, ro.handle, 0), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	ck_assert_int_eq(pin_file(ctx, fd, 0, PAGE, PINCTL_PIN_WRITE, &res), -EPERM);
	ck_assert_int_eq(pin_file(ctx, fd, 0, PAGE, 0, &ro), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, ro.handle, 0), 0);

	future = memfd_create("pintest-future", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(future, 0);
	ck_assert_int_eq(ftruncate(future, PAGE), 0);
	ck_assert_int_eq(fcntl(future, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	ck_assert_int_eq(pin_file(ctx, future, 0, PAGE, PINCTL_PIN_WRITE, &res), -EPERM);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", future);
	rdonly = open(path, O_RDONLY);
	ck_assert_int_ge(rdonly, 0);
	ck_assert_int_eq(pin_file(ctx, rdonly, 0, PAGE, PINCTL_PIN_WRITE, &res), -EBADF);
	ck_assert_int_eq(pin_file(ctx, rdonly, 0, PAGE, 0, &ro), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, ro.handle, 0), 0);
	close(rdonly);
	close(future);
	close(fd);
	pinctl_close(ctx);
}
END_TEST

/*
 * INFO lists PIN_MEMFD exactly on kernels with memfd_pin_folios(); the
 * others refuse it with EOPNOTSUPP.  Runs everywhere.
 */
START_TEST(offered_where_the_kernel_has_it)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_pin_result res;
	struct pinctl_info info;
	int fd = memfd_create("pintest", MFD_CLOEXEC);
	int ret;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	ck_assert_int_eq(!!(info.methods & PINCTL_PIN_MEMFD),
			 info.kernel_version >= KV(6, 10));
	ret = pin_file(ctx, fd, 0, PAGE, 0, &res);
	if (info.methods & PINCTL_PIN_MEMFD) {
		ck_assert_int_eq(ret, 0);
		ck_assert_int_eq(pinctl_unpin(ctx, res.handle, 0), 0);
	} else {
		ck_assert_int_eq(ret, -EOPNOTSUPP);
	}
	close(fd);
	pinctl_close(ctx);
}
END_TEST

static const char *kind_unavailable(int kind)
{
	if (kind == HUGETLB_MEMFD)
		return mem_unavailable(MEM_HUGETLB);
	return mem_unavailable(kind);
}

Suite *suite_memfd(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *nomemfd = nodev ?: pt_memfd_pin_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "memfd", 120, &tc);

	PT_ADD(run, tc, offered_where_the_kernel_has_it, nodev);
	for (int k = 0; k < NKINDS; k++) {
		const char *skip = nomemfd ?: kind_unavailable(kinds[k]);

		pt_add(run, tc, pins_a_file_by_offset, k, k + 1, kind_name(kinds[k]), skip);
		pt_add(run, tc, truncate_under_a_file_pin, k, k + 1, kind_name(kinds[k]), skip);
		if (folio_of(kinds[k]) == PAGE)
			pt_add(run, tc, punch_under_a_file_pin, k, k + 1,
			       kind_name(kinds[k]), skip);
	}
	PT_ADD(run, tc, seals_and_pins, nomemfd);
	return s;
}
