// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O meets pinned memory: O_DIRECT into and out of a buffer the
 * device holds pinned moves the same pages the pin holds (what the device
 * wrote reaches the disk, what the disk held reaches the device), and
 * leaves the pin as it was.  While a request is in flight the block layer
 * holds the buffer itself: with FOLL_PIN pins since bio_iov_iter_get_pages()
 * went to iov_iter_extract_pages() (6.4), with plain references before
 * (6.1), which folio_maybe_dma_pinned() cannot see.  A null_blk disk whose
 * requests complete only after a few seconds keeps one in flight for
 * PROBE to look at.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt.h"

#define NULLB "/dev/nullb0"
/* how long a null_blk request stays in flight, and how long PROBE looks */
#define NULLB_NSEC "3000000000"
#define LOOK_MS 2500

/*
 * QUERY of pin @h's @n pages against @want (taken before the direct I/O):
 * the same pages, the same pins (pincount: a folio's own, or its
 * references over PT_PIN_BIAS, which an LRU cache's reference
 * coming or going does not change).  0, or -1 with the difference in @why.
 */
static int pin_unchanged(struct pinctl *ctx, uint64_t h, const struct pinctl_page *want,
			 size_t n, char *why, size_t size)
{
	struct pinctl_page *p = calloc(n, sizeof(*p));
	int ret = -1;

	if (!p || pinctl_query(ctx, h, 0, n, p)) {
		snprintf(why, size, "QUERY of the pin after the direct I/O failed");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].pfn != want[i].pfn || p[i].pincount != want[i].pincount) {
			snprintf(why, size, "page %zu of %zu after the direct I/O: pfn %#llx "
				 "pincount %u, before %#llx %u", i, n,
				 (unsigned long long)p[i].pfn, p[i].pincount,
				 (unsigned long long)want[i].pfn, want[i].pincount);
			goto out;
		}
	ret = 0;
out:
	free(p);
	return ret;
}

/*
 * O_DIRECT write of a pinned buffer of @kind the device filled, then an
 * O_DIRECT read into it of what another buffer wrote to the disk: the
 * disk gets the device's data, the device (through its pin) and the CPU
 * get the disk's, and the pin still holds the same pages.
 */
START_TEST(direct_io_through_a_pinned_buffer)
{
	struct pinctl *ctx = pt_open();
	size_t len = mem_folio(_i) > PAGE ? mem_unit(_i) : 4 * PAGE, n = len / PAGE;
	struct pinctl_page *before = calloc(n, sizeof(*before));
	struct test_mem buf, disk;
	char why[512] = "";
	void *other = NULL;
	uint64_t h, first;
	int fd = -1;

	ck_assert_ptr_nonnull(before);
	mem_create(&buf, _i, len);
	mem_create(&disk, MEM_EXT4, len);
	PT_EXPECT_EQ(mem_unmap(&disk), 0, why, out);
	fd = open(disk.path, O_RDWR | O_DIRECT);
	PT_EXPECT(fd >= 0, why, out);
	PT_EXPECT_EQ(pinctl_pin(ctx, buf.addr, len, PINCTL_PIN_WRITE, &h), 0, why, out);
	PT_EXPECT_EQ(pinctl_query(ctx, h, 0, n, before), 0, why, out);

	/* out: the device writes, the block layer reads the same pages */
	PT_EXPECT_EQ(pinctl_dma_fill(ctx, h, 0, len, 1), 0, why, out);
	PT_EXPECT_EQ(pwrite(fd, buf.addr, len, 0), (ssize_t)len, why, out);
	if (mem_check_disk(&disk, len, 1, why, sizeof(why)) ||
	    pin_unchanged(ctx, h, before, n, why, sizeof(why)))
		goto out;

	/* in: the disk's data, written from elsewhere, read into the pin */
	PT_EXPECT_EQ(posix_memalign(&other, PAGE, len), 0, why, out);
	pinctl_pattern_fill(other, 0, len, 2);
	PT_EXPECT_EQ(pwrite(fd, other, len, 0), (ssize_t)len, why, out);
	PT_EXPECT_EQ(pread(fd, buf.addr, len, 0), (ssize_t)len, why, out);
	PT_EXPECT_EQ(pinctl_dma_verify(ctx, h, 0, len, 2), 0, why, out);
	PT_EXPECT_EQ(pinctl_pattern_check(buf.addr, 0, len, 2, &first), 0, why, out);
	if (pin_unchanged(ctx, h, before, n, why, sizeof(why)))
		goto out;
	PT_EXPECT_EQ(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0, why, out);
out:
	if (fd >= 0)
		close(fd);
	pinctl_close(ctx);	/* releases a pin still held */
	mem_destroy(&disk);
	mem_destroy(&buf);
	free(other);
	free(before);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* The rows of block_io_holds_the_buffer_in_flight(): _i & 1 writes, _i & 2 by io_uring. */
static const char *const requests[] = { "read", "write", "io_uring read", "io_uring write" };

struct in_flight {
	void *buf;
	size_t len;
	int write;
	int uring;
	ssize_t done;	/* the request's result and errno, read after the join */
	int err;
	int finished;	/* atomic: the request returned */
};

/*
 * A read or write of @len bytes at offset 0 of @fd through an io_uring
 * of one entry, waited for: the bytes moved, or -errno.
 */
static ssize_t uring_rw(int fd, void *buf, size_t len, int write)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p);
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	void *sq = MAP_FAILED, *cq = MAP_FAILED;
	struct io_uring_sqe *sqe = MAP_FAILED;
	struct io_uring_cqe *cqe;
	unsigned int *tail;
	ssize_t ret;

	if (ring < 0)
		return -errno;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqe = mmap(NULL, sizeof(*sqe), PROT_READ | PROT_WRITE, MAP_SHARED, ring,
		   IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	((unsigned int *)((char *)sq + p.sq_off.array))[0] = 0;
	tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		ret = -errno;
		goto out;
	}
	/* the ring's only completion: the first entry */
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	ret = cqe->res;
out:
	if (sqe != MAP_FAILED)
		munmap(sqe, sizeof(*sqe));
	if (cq != MAP_FAILED)
		munmap(cq, cq_len);
	if (sq != MAP_FAILED)
		munmap(sq, sq_len);
	close(ring);
	return ret;
}

static void *direct_io(void *arg)
{
	struct in_flight *io = arg;
	int fd = open(NULLB, O_RDWR | O_DIRECT);

	io->done = -1;
	io->err = errno;
	if (fd >= 0 && io->uring) {
		io->done = uring_rw(fd, io->buf, io->len, io->write);
		io->err = io->done < 0 ? (int)-io->done : 0;
	} else if (fd >= 0) {
		io->done = io->write ? pwrite(fd, io->buf, io->len, 0) :
			   pread(fd, io->buf, io->len, 0);
		io->err = errno;
	}
	if (fd >= 0)
		close(fd);
	__atomic_store_n(&io->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Why io_uring cannot be used here: not built in, or turned off (io_uring_disabled). */
static const char *uring_missing(void)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p);

	if (ring < 0)
		return "io_uring_setup() fails (no CONFIG_IO_URING, or kernel.io_uring_disabled)";
	close(ring);
	return NULL;
}

static const char *nullb_missing(void)
{
	if (getuid())
		return "needs root (modprobe null_blk, PROBE's counts)";
	if (pt_drain_lru())
		return "migrate_pages() cannot drain the LRU caches (CONFIG_NUMA)";
	if (!access("/sys/module/null_blk", F_OK))
		return "null_blk is loaded already (the case needs a disk of its own)";
	if (system("modprobe -n -q null_blk"))
		return "the kernel has no null_blk module";
	return NULL;
}

/* null_blk with one disk whose requests complete after NULLB_NSEC */
static int nullb_load(char *why, size_t size)
{
	if (system("modprobe null_blk nr_devices=1 irqmode=2 completion_nsec=" NULLB_NSEC)) {
		snprintf(why, size, "modprobe null_blk failed");
		return -1;
	}
	for (int i = 0; i < 500 && access(NULLB, F_OK); i++)
		usleep(10000);
	if (access(NULLB, F_OK)) {
		snprintf(why, size, "null_blk loaded, but " NULLB " never appeared");
		return -1;
	}
	return 0;
}

/*
 * A read (@_i 0) or write (1) of four pages by O_DIRECT stays in flight
 * on the slow null_blk disk; PROBE of the buffer sees the block layer's
 * hold on every page: a pin from 6.4 on, a reference before.  After the
 * request completes, the pages are as they were, a read's dirty.
 */
START_TEST(block_io_holds_the_buffer_in_flight)
{
	const int pins = pt_running_kernel() >= KV(6, 4);
	struct pinctl *ctx = pt_open();
	size_t n = 4, len = n * PAGE;
	struct pinctl_page p0[4], p[4];
	struct in_flight io = { .buf = pt_anon(len), .len = len, .write = _i & 1,
				 .uring = _i >> 1 };
	char why[512] = "";
	pthread_t t;
	int started = 0, seen = 0, loaded;

	loaded = !nullb_load(why, sizeof(why));
	if (!loaded)
		goto out;
	/* no LRU cache's reference to come or go while PROBE compares */
	PT_EXPECT_EQ(pt_drain_lru(), 0, why, out);
	PT_EXPECT_EQ(pinctl_probe(ctx, io.buf, len, p0), 0, why, out);
	PT_EXPECT_EQ(pthread_create(&t, NULL, direct_io, &io), 0, why, out);
	started = 1;
	for (int ms = 0; ms < LOOK_MS && !seen &&
	     !__atomic_load_n(&io.finished, __ATOMIC_ACQUIRE); ms += 5) {
		usleep(5000);
		PT_EXPECT_EQ(pinctl_probe(ctx, io.buf, len, p), 0, why, out);
		seen = p[0].refcount != p0[0].refcount;
	}
	PT_EXPECT(seen, why, out);
	/* every page is taken before the request goes out: look once more */
	usleep(5000);
	PT_EXPECT_EQ(pinctl_probe(ctx, io.buf, len, p), 0, why, out);
	PT_EXPECT(!__atomic_load_n(&io.finished, __ATOMIC_ACQUIRE), why, out);
	for (size_t i = 0; i < n; i++) {
		uint32_t more = pins ? PT_PIN_BIAS : 1;

		if (p[i].refcount == p0[i].refcount + more &&
		    !!(p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED) == pins)
			continue;
		snprintf(why, sizeof(why), "page %zu of %zu with the %s in flight: refcount "
			 "%u (before %u), %s; want +%u and %s (%s)", i, n,
			 requests[_i], p[i].refcount, p0[i].refcount,
			 p[i].flags & PINCTL_PAGE_MAYBE_DMA_PINNED ? "pinned" : "not pinned",
			 more, pins ? "pinned" : "not pinned",
			 pins ? "the block layer pins user buffers from 6.4" :
			 "before 6.4 the block layer takes plain references");
		goto out;
	}
out:
	if (started) {
		pthread_join(t, NULL);
		if (!why[0] && io.done != (ssize_t)len)
			snprintf(why, sizeof(why), "the O_DIRECT %s of " NULLB ": %zd of %zu "
				 "bytes: %s", requests[_i], io.done, len,
				 strerror(io.err));
		/* a read's completion dirties the pages it filled */
		if (!why[0] && !pt_drain_lru() && !pinctl_probe(ctx, io.buf, len, p))
			for (size_t i = 0; i < n && !why[0]; i++)
				if (p[i].refcount != p0[i].refcount ||
				    p[i].flags != (p0[i].flags | (io.write ? 0 : PINCTL_PAGE_DIRTY)))
					snprintf(why, sizeof(why), "page %zu after the %s: "
						 "refcount %u flags %#x, before %u %#x", i,
						 requests[_i], p[i].refcount, p[i].flags,
						 p0[i].refcount, p0[i].flags);
	}
	if (loaded && system("modprobe -r null_blk") && !why[0])
		snprintf(why, sizeof(why), "modprobe -r null_blk failed");
	pinctl_close(ctx);
	munmap(io.buf, len);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

Suite *suite_dio(struct pt_run *run)
{
	static const enum mem_kind kinds[] = {
		MEM_ANON, MEM_THP, MEM_HUGETLB, MEM_MEMFD, MEM_TMPFS, MEM_EXT4, MEM_XFS,
	};
	const char *nodev = pt_device_missing();
	const char *nodisk = mem_unavailable(MEM_EXT4);
	const char *nonullb = nodev ?: nullb_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "dio", 60, &tc);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = kinds[i];

		pt_add(run, tc, direct_io_through_a_pinned_buffer, k, k + 1, mem_name(k),
		       nodev ?: nodisk ?: mem_unavailable(k));
	}
	for (int i = 0; i < 4; i++)
		pt_add(run, tc, block_io_holds_the_buffer_in_flight, i, i + 1, requests[i],
		       nonullb ?: (i & 2 ? uring_missing() : NULL));
	return s;
}
