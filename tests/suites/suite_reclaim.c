// SPDX-License-Identifier: GPL-2.0
/*
 * Jan Kara's crash of 2018, the reason the pinning API exists: a clean
 * page-cache page pinned for DMA is reclaimed or evicted and loses its
 * buffer heads, the device writes, the dirtying unpin marks it dirty and
 * writeback meets a page without buffers (ext4: a WARN in
 * ext4_dirty_folio(), "does not have buffers attached", the data lost).
 * Reclaim (MADV_PAGEOUT) must leave a pinned folio alone after unmapping
 * it (d824ec2a1546, 6.4 and 6.1.y), and eviction (POSIX_FADV_DONTNEED,
 * drop_caches) must see the pin's references in mapping_evict_folio()
 * before it releases anything: the folio stays in the cache with its
 * private data, and the device's data reaches the disk.
 *
 * mutants/M26 (reclaim without the pin test) fails pageout_while_pinned on
 * ext4 and the large rows (the folio loses PRIVATE), M27 (eviction without
 * the refcount test) fails the fadvise and drop_caches rows there; xfs's
 * small folios have no private data to lose, and survive both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

enum evict { EVICT_PAGEOUT, EVICT_FADVISE, EVICT_DROP_CACHES };

/*
 * Whether a clean folio of @kind with the page @p carries fs-private
 * data, as measured on 6.1, 6.12 and 7.3: ext4 keeps its buffer heads on
 * every folio; xfs (iomap) attaches its per-block state only to a folio
 * of more than one block of @bsize bytes (with 4 KiB pages and blocks:
 * none on its small folios, one on its large ones).
 */
static int has_private(enum mem_kind kind, const struct pinctl_page *p,
		       unsigned long bsize)
{
	if (kind == MEM_EXT4 || kind == MEM_EXT4_LARGE)
		return 1;
	return (PAGE << p->order) > bsize;
}

/*
 * QUERY of the @n pages of pin @h: present, pinned, in the cache, clean,
 * PRIVATE as has_private() says, mapped @mapcount times.  0, or -1
 * with what differed in @why.
 */
static int check_pages(struct pinctl *ctx, uint64_t h, const struct test_mem *m,
		       size_t n, int mapcount, const char *when, char *why,
		       size_t size)
{
	const uint32_t mask = PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED |
			      PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED |
			      PINCTL_PAGE_DIRTY | PINCTL_PAGE_WRITEBACK |
			      PINCTL_PAGE_PRIVATE | PINCTL_PAGE_LARGE;
	struct pinctl_page *p = calloc(n, sizeof(*p));
	uint32_t want = 0;
	struct statfs fs;
	size_t i;
	int ret;

	if (!p || fstatfs(m->fd, &fs)) {
		snprintf(why, size, "%s: %s", when, p ? strerror(errno) : "out of memory");
		free(p);
		return -1;
	}
	ret = pinctl_query(ctx, h, 0, n, p);
	if (ret) {
		snprintf(why, size, "%s: QUERY: %s", when, strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		want = PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED |
		       PINCTL_PAGE_FILE;
		if (has_private(m->kind, &p[i], fs.f_bsize))
			want |= PINCTL_PAGE_PRIVATE;
		if (mem_folio(m->kind) > PAGE)
			want |= PINCTL_PAGE_LARGE;
		if ((p[i].flags & mask) != want || p[i].mapcount != mapcount)
			break;
	}
	if (i < n) {
		snprintf(why, size, "%s: %s page %zu of %zu: flags %#x, want %#x "
			 "(of %#x); mapcount %d, want %d%s", when, mem_name(m->kind),
			 i, n, p[i].flags & mask, want, mask, p[i].mapcount, mapcount,
			 (p[i].flags ^ want) & PINCTL_PAGE_PRIVATE ?
			 " (PRIVATE: ext4's buffer heads, xfs's block state)" : "");
		ret = -1;
	}
out:
	free(p);
	return ret;
}

/*
 * Which pages of the first @len bytes of @fd are in the page cache, into
 * @vec: mincore() of a mapping never touched.  0, or -1 with why in @why.
 */
static int cached(int fd, size_t len, unsigned char *vec, char *why, size_t size)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int ret = p == MAP_FAILED ? -1 : mincore(p, len, vec);

	if (ret)
		snprintf(why, size, "mincore: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, len);
	return ret;
}

/*
 * Pin a clean file's pages, try to reclaim or evict them (@how), then let
 * the device write them and unpin dirty.  The pin is taken first and the
 * file synced after it: a write pin of a clean mapping write-faults and
 * dirties the page, and the crash needs one that writeback has cleaned.
 * A folio past the pin, as clean and unpinned, shows that reclaim or
 * eviction did reach this file's pages: it must go.  The case runs on
 * one CPU: the file's new pages wait in that CPU's LRU batches, and
 * MADV_PAGEOUT drains only its own CPU's before it isolates them (it
 * skips a page off the LRU, which would prove nothing).
 */
static void evict_pinned(enum mem_kind kind, enum evict how, uint64_t seed)
{
	static const char *const what[] = {
		[EVICT_PAGEOUT] = "MADV_PAGEOUT",
		[EVICT_FADVISE] = "POSIX_FADV_DONTNEED",
		[EVICT_DROP_CACHES] = "drop_caches",
	};
	struct pinctl *ctx = pt_open();
	size_t len = mem_folio(kind) > PAGE ? 2 * mem_unit(kind) : 4 * PAGE;
	size_t total = len + mem_unit(kind), n = len / PAGE;
	unsigned char *vec = calloc(total / PAGE, 1);
	char why[512] = "", when[64];
	cpu_set_t cpus0, one;
	struct test_mem m;
	uint64_t h;

	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(cpus0), &cpus0), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	mem_create(&m, kind, total);
	PT_EXPECT_EQ(pinctl_pin(ctx, m.addr, len, PINCTL_PIN_WRITE, &h), 0, why, out);
	PT_EXPECT_EQ(fsync(m.fd), 0, why, out);
	if (check_pages(ctx, h, &m, n, 1, "pinned and synced", why, sizeof(why)))
		goto out;

	switch (how) {
	case EVICT_PAGEOUT:
		/* reclaim unmaps a file page whatever its pins, then keeps it */
		PT_EXPECT_EQ(madvise(m.addr, total, MADV_PAGEOUT), 0, why, out);
		break;
	case EVICT_FADVISE:
		/* unmapped first: only the pin's references keep the pages */
		PT_EXPECT_EQ(mem_unmap(&m), 0, why, out);
		PT_EXPECT_EQ(posix_fadvise(m.fd, 0, 0, POSIX_FADV_DONTNEED), 0, why, out);
		break;
	case EVICT_DROP_CACHES:
		PT_EXPECT_EQ(mem_unmap(&m), 0, why, out);
		PT_EXPECT_EQ(procfs_write("/proc/sys/vm/drop_caches", "1"), 0, why, out);
		break;
	}
	snprintf(when, sizeof(when), "after %s", what[how]);
	if (check_pages(ctx, h, &m, n, 0, when, why, sizeof(why)) ||
	    cached(m.fd, total, vec, why, sizeof(why)))
		goto out;
	for (size_t i = 0; i < total / PAGE; i++)
		if ((vec[i] & 1) != (i < n)) {
			snprintf(why, sizeof(why), "%s: page %zu of %zu %s the cache "
				 "(the first %zu pinned)", when, i, total / PAGE,
				 vec[i] & 1 ? "stayed in" : "left", n);
			goto out;
		}

	/* the device writes the pages; the dirtying unpin hands them back */
	PT_EXPECT_EQ(pinctl_dma_fill(ctx, h, 0, len, seed), 0, why, out);
	PT_EXPECT_EQ(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0, why, out);
	PT_EXPECT_EQ(fsync(m.fd), 0, why, out);
	if (m.addr)
		PT_EXPECT_EQ(mem_unmap(&m), 0, why, out);
	PT_EXPECT_EQ(procfs_write("/proc/sys/vm/drop_caches", "1"), 0, why, out);
	mem_check_disk(&m, len, seed, why, sizeof(why));
out:
	pinctl_close(ctx);	/* releases a pin still held */
	mem_destroy(&m);
	sched_setaffinity(0, sizeof(cpus0), &cpus0);
	free(vec);
	ck_assert_msg(!why[0], "%s", why);
}

START_TEST(pageout_while_pinned)
{
	evict_pinned(_i, EVICT_PAGEOUT, 1);
}
END_TEST

START_TEST(fadvise_dontneed_while_pinned)
{
	evict_pinned(_i, EVICT_FADVISE, 2);
}
END_TEST

START_TEST(drop_caches_while_pinned)
{
	evict_pinned(_i, EVICT_DROP_CACHES, 3);
}
END_TEST

Suite *suite_reclaim(struct pt_run *run)
{
	static const enum mem_kind kinds[] = {
		MEM_EXT4, MEM_XFS, MEM_EXT4_LARGE, MEM_XFS_LARGE,
	};
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (drop_caches)" : NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "reclaim", 60, &tc);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = kinds[i];
		const char *skip = nodev ?: noroot ?: mem_unavailable(k);

		pt_add(run, tc, pageout_while_pinned, k, k + 1, mem_name(k), skip);
		pt_add(run, tc, fadvise_dontneed_while_pinned, k, k + 1, mem_name(k), skip);
		pt_add(run, tc, drop_caches_while_pinned, k, k + 1, mem_name(k), skip);
	}
	return s;
}
