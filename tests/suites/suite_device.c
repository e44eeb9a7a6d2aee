// SPDX-License-Identifier: GPL-2.0
/*
 * A real bus-master device: QEMU's edu device DMAs into pinned pages by
 * the bus addresses the DMA API gave it (directly, through swiotlb, or
 * through an IOMMU).  Its writes land in the pinned pages and its reads
 * see the CPU's; behind swiotlb only once the DMA API says so.  Truncate,
 * fork and writeback while the pages are mapped for it lose nothing and
 * leak nothing into the file; UNPIN and close unmap before they unpin.
 * Runs where vm/pintest-vm --device edu gave the guest the device
 * (make check-device); elsewhere it SKIPs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmsg.h"
#include "procfs.h"
#include "pt.h"

#define NPAGES 4
#define LEN (NPAGES * PAGE)
/* the most bytes of one transfer of the edu device (driver/edu.c) */
#define EDU_XFER 2048

static struct pinctl_info2 info_of(struct pinctl *ctx)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };

	ck_assert_int_eq(pinctl_info2(ctx, &info), 0);
	return info;
}

/* The value of pintest.NAME= on the kernel command line, or "". */
static const char *cmdline_arg(const char *name, char *buf, size_t size)
{
	char line[4096], *p, *end;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n = strlen(name);

	buf[0] = 0;
	if (!f)
		return buf;
	if (fgets(line, sizeof(line), f))
		for (p = strtok_r(line, " \n", &end); p; p = strtok_r(NULL, " \n", &end))
			if (!strncmp(p, name, n) && p[n] == '=')
				snprintf(buf, size, "%s", p + n + 1);
	fclose(f);
	return buf;
}

static uint64_t map_for(struct pinctl *ctx, uint64_t h, unsigned int flags)
{
	struct pinctl_device_map_result map = { .sz = sizeof(map) };

	ck_assert_int_eq(pinctl_device_map(ctx, h, flags, &map), 0);
	ck_assert_uint_ge(map.segments, 1);
	return map.id;
}

static struct pinctl_device_transfer xfer(unsigned int op, unsigned int flags,
					  uint64_t offset, size_t len,
					  void *buf, uint64_t seed)
{
	return (struct pinctl_device_transfer){
		.sz = sizeof(struct pinctl_device_transfer), .op = op,
		.flags = flags, .offset = offset, .len = len, .buf = buf,
		.seed = seed,
	};
}

/* The device fills [@offset, +@len) of mapping @id with the pattern. */
static void device_fill(struct pinctl *ctx, uint64_t id, uint64_t offset,
			size_t len, uint64_t seed, unsigned int flags)
{
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_FILL, flags,
					       offset, len, NULL, seed);

	ck_assert_int_eq(pinctl_device_dma(ctx, id, &t), 0);
	ck_assert_uint_ge(t.transfers, (len + PAGE - 1) / PAGE);
}

/* Bytes of [@offset, +@len) the device reads unlike the pattern. */
static uint64_t device_mismatches(struct pinctl *ctx, uint64_t id,
				  uint64_t offset, size_t len, uint64_t seed)
{
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_VERIFY,
					       PINCTL_DEVICE_DMA_SYNC, offset,
					       len, NULL, seed);

	ck_assert_int_eq(pinctl_device_dma(ctx, id, &t), 0);
	return t.mismatches;
}

/* INFO names the device and the path the machine gives it. */
START_TEST(info_names_the_path)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info2 info = info_of(ctx);
	char iommu[32], bits[32];
	unsigned int want_bits;

	cmdline_arg("pintest.iommu", iommu, sizeof(iommu));
	want_bits = atoi(cmdline_arg("pintest.edu_dma_bits", bits, sizeof(bits)));
	ck_assert_uint_eq(info.device_dma_bits, want_bits);
	if (strcmp(iommu, "none"))
		ck_assert_uint_eq(info.device_path, PINCTL_DEVICE_IOMMU);
	else
		ck_assert_uint_eq(info.device_path, want_bits == 64 ? PINCTL_DEVICE_DIRECT :
				  PINCTL_DEVICE_SWIOTLB);
	pinctl_close(ctx);
}
END_TEST

/*
 * The device's writes land in the pinned pages: the pattern through
 * FILL, a buffer through WRITE, each page in transfers of its own.
 */
START_TEST(device_writes_land_in_the_pages)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN), word[16] = "from the device";
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_WRITE,
					       PINCTL_DEVICE_DMA_SYNC, PAGE + 10,
					       sizeof(word), word, 0);
	uint64_t h, id, first;

	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	device_fill(ctx, id, 0, LEN, 21, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, LEN, 21, &first), 0);
	ck_assert_int_eq(pinctl_device_dma(ctx, id, &t), 0);
	ck_assert_uint_eq(t.transfers, 1);
	ck_assert_str_eq(buf + PAGE + 10, "from the device");
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	pinctl_close(ctx);
}
END_TEST

/* The device reads what the CPU wrote after the mapping, once synced. */
START_TEST(device_reads_what_the_cpu_wrote)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN), back[64];
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_READ,
					       PINCTL_DEVICE_DMA_SYNC, 3 * PAGE - 32,
					       sizeof(back), back, 0);
	uint64_t h, id;

	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, 0, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_READS);
	pinctl_pattern_fill(buf, 0, LEN, 22);
	ck_assert_uint_eq(device_mismatches(ctx, id, 0, LEN, 22), 0);
	/* 32 bytes on each side of a page boundary: two transfers */
	ck_assert_int_eq(pinctl_device_dma(ctx, id, &t), 0);
	ck_assert_uint_eq(t.transfers, 2);
	ck_assert_mem_eq(back, buf + 3 * PAGE - 32, sizeof(back));
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

/*
 * The device fills @page, pinned and mapped alone, without a sync; the CPU
 * sees it at once where the device reaches the page, only at DEVICE_UNMAP
 * where it wrote a swiotlb bounce slot.
 */
static void check_visibility(struct pinctl *ctx, char *page, int bounce)
{
	uint64_t h, id, first, bad;

	memset(page, 0, PAGE);
	ck_assert_int_eq(pinctl_pin(ctx, page, PAGE, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	device_fill(ctx, id, 0, PAGE, 23, 0);
	bad = pinctl_pattern_check(page, 0, PAGE, 23, &first);
	if (bounce)
		ck_assert_msg(util_span_of(page, PAGE, 0) == PAGE,
			      "a bounced page changed before unmap (%llu bytes still unlike the device's)",
			      (unsigned long long)bad);
	else
		ck_assert_msg(bad == 0, "%llu bytes unlike the device's before unmap",
			      (unsigned long long)bad);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_uint_eq(pinctl_pattern_check(page, 0, PAGE, 23, &first), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
}

#define CHUNK (64UL << 20)

/*
 * When the CPU sees what the device wrote without a sync: at once where
 * the device reaches the page (directly or through the IOMMU: x86 is
 * coherent); behind swiotlb, for a page above the device's mask, only at
 * DEVICE_UNMAP.  Memory is taken until there is a page on each side of
 * the mask (a 2 GiB guest has at most 256 MiB below 28 bits).
 */
START_TEST(device_writes_visible_as_the_dma_api_says)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info2 info = info_of(ctx);
	struct pinctl_page *p = calloc(CHUNK / PAGE, sizeof(*p));
	char *above = NULL, *below = NULL, *chunks[8];
	int n = 0;

	ck_assert_ptr_nonnull(p);
	while ((!above || !below) && n < 8) {
		char *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		ck_assert_ptr_ne(c, MAP_FAILED);
		madvise(c, CHUNK, MADV_NOHUGEPAGE);
		chunks[n++] = c;
		ck_assert_int_eq(pinctl_probe(ctx, c, CHUNK, p), 0);
		for (size_t i = 0; i < CHUNK / PAGE; i++) {
			ck_assert_msg(p[i].pfn, "no PFN: the suite must run as root");
			if (info.device_dma_bits < 64 &&
			    ((p[i].pfn + 1) * PAGE - 1) >> info.device_dma_bits)
				above = above ?: c + i * PAGE;
			else
				below = below ?: c + i * PAGE;
		}
	}
	if (info.device_path == PINCTL_DEVICE_SWIOTLB)
		ck_assert_msg(above, "no page above the %u-bit mask in %d MiB",
			      info.device_dma_bits, n * 64);
	if (above)
		check_visibility(ctx, above, info.device_path == PINCTL_DEVICE_SWIOTLB);
	if (below)
		check_visibility(ctx, below, 0);
	while (n--)
		munmap(chunks[n], CHUNK);
	free(p);
	pinctl_close(ctx);
}
END_TEST

/*
 * A PMD-sized THP, one physically contiguous range: the mapping must come in
 * segments the DMA API can map (swiotlb bounces 256 KiB at most), and the
 * device reaches its first and last bytes.
 */
START_TEST(device_writes_a_thp)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct test_mem m;
	uint64_t h, first;

	mem_create(&m, MEM_THP, HUGE);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, HUGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_device_map(ctx, h, PINCTL_MAP_DEVICE_WRITES |
					   PINCTL_MAP_DEVICE_READS, &map), 0);
	device_fill(ctx, map.id, 0, 2048, 31, PINCTL_DEVICE_DMA_SYNC);
	device_fill(ctx, map.id, HUGE - 2048, 2048, 31, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_uint_eq(pinctl_pattern_check(m.addr, 0, 2048, 31, &first), 0);
	ck_assert_uint_eq(pinctl_pattern_check(m.addr + HUGE - 2048, HUGE - 2048, 2048, 31,
					       &first), 0);
	ck_assert_uint_eq(device_mismatches(ctx, map.id, HUGE - 2048, 2048, 31), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, map.id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * Truncate while the device holds the pages: they leave the file, the
 * device's writes land in them (the CPU device reads them back through
 * the pin) and never in the file, not even after it grows again.
 */
START_TEST(truncate_while_mapped)
{
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	struct pinctl_page p[NPAGES];
	uint64_t h, id;

	mem_create(&m, _i, LEN);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, LEN, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	ck_assert_int_eq(ftruncate(m.fd, 0), 0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, NPAGES, p), 0);
	for (int i = 0; i < NPAGES; i++)
		ck_assert(p[i].flags & PINCTL_PAGE_TRUNCATED);
	device_fill(ctx, id, 0, LEN, 24, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_int_eq(pinctl_dma_verify(ctx, h, 0, LEN, 24), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_int_eq(ftruncate(m.fd, LEN), 0);
	pt_file_is_zero(m.fd, 0, LEN);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * Writeback while mapped, then a dirty unpin: the file on the disk holds
 * what the device wrote.
 */
START_TEST(writeback_while_mapped)
{
	struct pinctl *ctx = pt_open();
	struct test_mem m;
	char *back = malloc(LEN);
	uint64_t h, id, first;

	mem_create(&m, _i, LEN);
	ck_assert_int_eq(pinctl_pin(ctx, m.addr, LEN, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(fsync(m.fd), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	device_fill(ctx, id, 0, LEN, 25, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_int_eq(fsync(m.fd), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_int_eq(fsync(m.fd), 0);
	ck_assert_int_eq(mem_unmap(&m), 0);
	pt_drop_caches();
	ck_assert_int_eq(pread(m.fd, back, LEN, 0), LEN);
	ck_assert_uint_eq(pinctl_pattern_check(back, 0, LEN, 25, &first), 0);
	free(back);
	mem_destroy(&m);
	pinctl_close(ctx);
}
END_TEST

/*
 * fork while mapped: the child's writes go to its own copies and never
 * reach the device; the device's writes reach the parent.
 */
START_TEST(fork_while_mapped)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN);
	uint64_t h, id, first;
	int status;
	pid_t pid;

	pinctl_pattern_fill(buf, 0, LEN, 26);
	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES | PINCTL_MAP_DEVICE_READS);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		memset(buf, 0xcc, LEN);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && !WEXITSTATUS(status));
	ck_assert_uint_eq(device_mismatches(ctx, id, 0, LEN, 26), 0);
	device_fill(ctx, id, 0, LEN, 27, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, LEN, 27, &first), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

/*
 * UNPIN and close unmap first: the mapping is gone with its pin, and
 * nothing stays pinned or charged.
 */
START_TEST(unpin_and_close_unmap_first)
{
	struct pinctl *ctx = pt_open(), *other = pt_open();
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_FILL, 0, 0, PAGE,
					       NULL, 28);
	struct pinctl_stats s0;
	long vm0 = pt_vmpin_kb();
	char *buf = pt_anon(LEN);
	uint64_t h, id;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	ck_assert_int_eq(pinctl_device_dma(ctx, id, &t), -ENOENT);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), -ENOENT);

	ck_assert_int_eq(pinctl_pin(other, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	map_for(other, h, PINCTL_MAP_DEVICE_WRITES);
	map_for(other, h, PINCTL_MAP_DEVICE_READS);
	pinctl_close(other);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/*
 * Until @h's writer has ended by itself: a CPU writer of 8 bytes of the
 * pattern of @seed at 0 may then start, and is stopped.  0, or the errno
 * of the last try (-EBUSY: still running after 60 s).
 */
static int writer_ended(struct pinctl *ctx, uint64_t h, uint64_t seed)
{
	int ret = -EBUSY;

	for (int tries = 0; tries < 1200 && ret == -EBUSY; tries++) {
		ret = pinctl_dma_start(ctx, h, 0, 8, seed, 1, 0);
		if (ret == -EBUSY)
			usleep(50 * 1000);
	}
	return ret ?: pinctl_dma_stop(ctx, h, NULL, NULL);
}

static void wait_writer_ended(struct pinctl *ctx, uint64_t h, uint64_t seed)
{
	int ret = writer_ended(ctx, h, seed);

	ck_assert_msg(ret == 0, "the device's writer still ran after 60 s: %s",
		      strerror(-ret));
}

/*
 * The in-flight writer on the device: it writes its passes through the
 * pin's mapping for device writes, the CPU sees them once unmapped, and it
 * ends by itself when the mapping goes (DEVICE_UNMAP, UNPIN).
 */
START_TEST(device_writer_ends_with_its_mapping)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN);
	long vm0 = pt_vmpin_kb();
	uint64_t h, id, passes, bytes;
	struct pinctl_stats s0, s;

	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_device_start(ctx, h, 0, PAGE, 40, 1, 0), -EPERM);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_device_start(ctx, h, PAGE, 2 * PAGE, 40, 2, 0), 0);
	ck_assert_int_eq(pinctl_dma_start(ctx, h, 0, PAGE, 40, 1, 0), -EBUSY);
	pt_wait_dma_bytes(ctx, &s0, 2 * 2 * PAGE);
	ck_assert_int_eq(pinctl_dma_stop(ctx, h, &passes, &bytes), 0);
	ck_assert_uint_eq(passes, 2);		/* and not one more */
	ck_assert_uint_eq(bytes, 2 * 2 * PAGE);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	ck_assert_uint_eq(pinctl_pattern_check(buf + PAGE, PAGE, 2 * PAGE, 40, NULL), 0);
	ck_assert_int_eq(buf[0], 0);		/* outside the span */
	ck_assert_int_eq(buf[3 * PAGE], 0);
	ck_assert_int_eq(pinctl_device_start(ctx, h, 0, PAGE, 41, 0, 0), -EPERM);

	/* a writer without end ends with its mapping, after its transfer */
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_device_start(ctx, h, 0, LEN, 41, 0, 0), 0);
	pt_wait_dma_bytes(ctx, &s0, 1);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	wait_writer_ended(ctx, h, 41);
	/* a transfer is 2 KiB at most, and at least one was done */
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, 2048, 41, NULL), 0);

	/* and with its pin, which UNPIN unmaps */
	map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_device_start(ctx, h, 0, LEN, 42, 0, 0), 0);
	pt_wait_dma_bytes(ctx, &s0, 1);
	ck_assert_int_eq(pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY), 0);
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, 2048, 42, NULL), 0);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins - 1);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	pinctl_close(ctx);
}
END_TEST

struct map_race {
	struct pinctl *ctx;
	uint64_t h;
	int ready, go;
	int delay;	/* spins before DEVICE_MAP */
	int ret;
	uint64_t id;
};

static void *map_racing(void *p)
{
	struct map_race *a = p;
	struct pinctl_device_map_result map = { .sz = sizeof(map) };

	__atomic_store_n(&a->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&a->go, __ATOMIC_ACQUIRE))
		;
	for (volatile int spin = 0; spin < a->delay; spin++)
		;
	a->ret = pinctl_device_map(a->ctx, a->h, PINCTL_MAP_DEVICE_WRITES, &map);
	a->id = map.id;
	return NULL;
}

/*
 * DEVICE_MAP against UNPIN of the same pin: either the map loses (ENOENT)
 * or UNPIN unmaps what it made; no mapping outlives its pin, nothing stays
 * pinned or charged.
 */
START_TEST(device_map_races_unpin)
{
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_FILL, 0, 0, 8,
					       NULL, 43);
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN);
	long vm0 = pt_vmpin_kb();
	struct pinctl_stats s0;
	int won = 0, rounds = 200;

	pt_stats(ctx, &s0);
	for (int i = 0; i < rounds; i++) {
		/* one side a little later each round, to meet everywhere */
		int delay = i / 2 * 20;
		struct map_race a = { .ctx = ctx, .delay = i % 2 ? delay : 0 };
		pthread_t thread;

		ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &a.h), 0);
		ck_assert_int_eq(pthread_create(&thread, NULL, map_racing, &a), 0);
		while (!__atomic_load_n(&a.ready, __ATOMIC_ACQUIRE))
			;
		__atomic_store_n(&a.go, 1, __ATOMIC_RELEASE);
		for (volatile int spin = 0; spin < (i % 2 ? 0 : delay); spin++)
			;
		ck_assert_int_eq(pinctl_unpin(ctx, a.h, 0), 0);
		ck_assert_int_eq(pthread_join(thread, NULL), 0);
		if (a.ret == -ENOENT)
			continue;
		ck_assert_int_eq(a.ret, 0);
		ck_assert_int_eq(pinctl_device_dma(ctx, a.id, &t), -ENOENT);
		ck_assert_int_eq(pinctl_device_unmap(ctx, a.id), -ENOENT);
		won++;
	}
	printf("device_map_races_unpin: %d of %d maps came before their UNPIN\n",
	       won, rounds);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/*
 * Two DEVICE_MAPs of one pin for device writes at once: one has the
 * direction, the other EBUSY, however they meet; never both.
 */
START_TEST(device_maps_race_each_other)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(LEN);
	long vm0 = pt_vmpin_kb();
	struct pinctl_stats s0;
	uint64_t h;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	for (int i = 0; i < 100; i++) {
		struct map_race a[2] = {
			{ .ctx = ctx, .h = h, .delay = i % 2 ? i * 20 : 0 },
			{ .ctx = ctx, .h = h, .delay = i % 2 ? 0 : i * 20 },
		};
		pthread_t thread[2];
		int won = 0;

		for (int k = 0; k < 2; k++) {
			ck_assert_int_eq(pthread_create(&thread[k], NULL, map_racing, &a[k]), 0);
			while (!__atomic_load_n(&a[k].ready, __ATOMIC_ACQUIRE))
				;
		}
		__atomic_store_n(&a[0].go, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&a[1].go, 1, __ATOMIC_RELEASE);
		for (int k = 0; k < 2; k++) {
			ck_assert_int_eq(pthread_join(thread[k], NULL), 0);
			ck_assert_msg(a[k].ret == 0 || a[k].ret == -EBUSY,
				      "round %d: DEVICE_MAP answered %s", i, strerror(-a[k].ret));
			won += !a[k].ret;
		}
		ck_assert_msg(won == 1, "round %d: %d maps had the direction", i, won);
		for (int k = 0; k < 2; k++)
			if (!a[k].ret)
				ck_assert_int_eq(pinctl_device_unmap(ctx, a[k].id), 0);
	}
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/* A device write of 64 bytes of pattern to bus address @bus. */
static int write_bus(struct pinctl *ctx, uint64_t bus)
{
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_FILL, PINCTL_DEVICE_DMA_BUS,
					       bus, 64, NULL, 30);

	return pinctl_device_dma(ctx, 0, &t);
}

/*
 * A stale bus address: after DEVICE_UNMAP the IOMMU translates the
 * address the pin had no more (iommu.strict=1: the IOTLB is flushed at
 * unmap), so the device's write there faults, the IOMMU says so, and the
 * page stays as the CPU left it.  The kernel log lines of that fault are
 * expected here alone.
 */
START_TEST(iommu_faults_a_stale_bus_address)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	char *buf = pt_anon(PAGE);
	uint64_t h, first;
	int kmsg, seen;

	ck_assert_int_eq(pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_device_map(ctx, h, PINCTL_MAP_DEVICE_WRITES, &map), 0);
	ck_assert_msg(map.bus_addr, "no bus address: the suite must run as root");
	/* the address works while mapped */
	ck_assert_int_eq(write_bus(ctx, map.bus_addr), 0);
	ck_assert_uint_eq(pinctl_pattern_check(buf, 0, 64, 30, &first), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, map.id), 0);

	memset(buf, 0x5a, PAGE);
	kmsg = kmsg_open();
	ck_assert_int_ge(kmsg, 0);
	kmsg_mark(kmsg, "pintest-test: iommu faults expected");
	ck_assert_int_eq(write_bus(ctx, map.bus_addr), 0);
	seen = kmsg_wait_iommu_fault(kmsg, 10);
	kmsg_mark(kmsg, "pintest-test: iommu faults no longer expected");
	close(kmsg);
	ck_assert_msg(seen == 1, "the IOMMU logged no fault for a write to a stale address");
	ck_assert_msg(util_span_of(buf, PAGE, 0x5a) == PAGE, "the device wrote through a stale bus address");
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

static int write_bus_as_nobody(void *ctx)
{
	if (setuid(NOBODY))
		return 100;
	return -write_bus(ctx, 1UL << 20);
}

/*
 * A transfer to a raw bus address is for CAP_SYS_RAWIO only, and only
 * behind a translating IOMMU: without one the address is physical.
 */
START_TEST(bus_transfers_are_guarded)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info2 info = info_of(ctx);

	ck_assert_int_eq(pt_in_child(write_bus_as_nobody, ctx), EPERM);
	if (info.device_path != PINCTL_DEVICE_IOMMU)
		ck_assert_int_eq(write_bus(ctx, 1UL << 20), -EPERM);
	pinctl_close(ctx);
}
END_TEST

/* The number in sysfs file @path written in hex ("0x1234"); -1 if none. */
static long sysfs_hex(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%lx", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The edu device's directory in /sys/bus/pci/devices into @dir; 0 or -ENOENT. */
static int edu_sysfs(char *dir, size_t size)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char path[512];
	int ret = -ENOENT;

	while (d && ret && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (sysfs_hex(path) != 0x1234)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (sysfs_hex(path) != 0x11e8)
			continue;
		snprintf(dir, size, "/sys/bus/pci/devices/%s", e->d_name);
		ret = 0;
	}
	if (d)
		closedir(d);
	return ret;
}

/*
 * Why the guest cannot hot-unplug the edu device, or NULL: a hotplug
 * driver (pciehp, acpiphp) lists the device's slot in /sys/bus/pci/slots.
 */
static const char *hotplug_missing(void)
{
	char dir[300], path[600], addr[64];
	const char *dev;
	DIR *d;
	struct dirent *e;
	const char *why = "no hotplug slot holds the edu device "
			  "(CONFIG_HOTPLUG_PCI_PCIE, CONFIG_HOTPLUG_PCI_ACPI)";

#ifdef __aarch64__
	/*
	 * Measured on virt (QEMU 7.2, Linux 7.3): after device_add into the
	 * root port the slot's pciehp shows the adapter present, the power
	 * off, and hears no event until the slot is powered by hand; the
	 * button press it held back then powers it off again.
	 */
	return "QEMU's device_add is not seen by arm64 virt's pciehp (a hot-add never arrives)";
#endif
	if (edu_sysfs(dir, sizeof(dir)))
		return "the edu device is not in /sys/bus/pci/devices";
	dev = strrchr(dir, '/') + 1;	/* DDDD:BB:SS.F; a slot is DDDD:BB:SS */
	d = opendir("/sys/bus/pci/slots");
	while (d && why && (e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/address", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(addr, sizeof(addr), f) &&
		    !strncmp(addr, dev, strcspn(addr, "\n")) && dev[strcspn(addr, "\n")] == '.')
			why = NULL;
		fclose(f);
	}
	if (d)
		closedir(d);
	return why;
}

/* Why userfaultfd cannot be had here, or NULL. */
static const char *uffd_missing(void)
{
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (uffd >= 0) {
		close(uffd);
		return NULL;
	}
	return errno == ENOSYS ? "the kernel has no userfaultfd (CONFIG_USERFAULTFD)" :
	       "userfaultfd refused (vm.unprivileged_userfaultfd)";
}

/* In a child without Check: a failed @cond says why and ends it (status 1). */
#define CHILD_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: ", __func__, __LINE__);	\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			return 1;					\
		}							\
	} while (0)

struct dma_call {
	struct pinctl *ctx;
	uint64_t id;
	size_t len;
	char *src;		/* the bytes the device writes */
	int ret;
};

static void *device_write_call(void *p)
{
	struct dma_call *c = p;
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_WRITE, 0, 0, c->len,
					       c->src, 0);

	c->ret = pinctl_device_dma(c->ctx, c->id, &t);
	return NULL;
}

/*
 * A userfaultfd for missing faults on [@addr, +@len): its fd, or -errno.
 * Nobody serves it until the caller does.  Non-blocking: poll() of a
 * blocking userfaultfd answers POLLERR at once, not when a fault waits.
 */
static int uffd_on(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		int err = -errno;

		close(uffd);
		return err;
	}
	return uffd;
}

/* Until a fault waits on @uffd: 0, or -ETIME after 60 s. */
static int uffd_fault_waits(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	return poll(&pfd, 1, 60000) == 1 && pfd.revents == POLLIN ? 0 : -ETIME;
}

/*
 * Asks QEMU's monitor, through the host (vm/pintest-vm --device), to
 * "unplug" or "replug" the edu device: 0, or -EIO with QEMU's answer in
 * @reply.
 */
static int monitor_request(const char *req, char *reply, size_t size)
{
	const char *dir = getenv("PINTEST_MONITOR");
	char path[512], tmp[520], line[300];
	/* the request's id, which its answer repeats: a late answer to an
	 * earlier request is not this one's */
	unsigned long id = (unsigned long)getpid() << 20 ^ (unsigned long)(util_now() * 1e6);
	unsigned long got;
	FILE *f;

	snprintf(reply, size, "no answer in 240 s");
	snprintf(path, sizeof(path), "%s/monitor.rep", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/monitor.req", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%lu %s\n", id, req) < 0 || fclose(f) || rename(tmp, path))
		return -errno;
	snprintf(path, sizeof(path), "%s/monitor.rep", dir);
	for (int tries = 0; tries < 2400; tries++) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = 0;
			fclose(f);
			unlink(path);
			line[strcspn(line, "\n")] = 0;
			if (sscanf(line, "%lu ", &got) == 1 && got == id) {
				snprintf(reply, size, "%s", strchr(line, ' ') + 1);
				return strcmp(reply, "ok") ? -EIO : 0;
			}
		}
		usleep(100 * 1000);
	}
	return -ETIME;
}

/* The device's path as INFO reports it once it is gone (@gone) or back; 60 s at most. */
static uint32_t device_path_becomes(struct pinctl *ctx, int gone)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };

	for (int tries = 0; tries < 1200; tries++) {
		if (pinctl_info2(ctx, &info))
			return ~0U;
		if ((info.device_path == PINCTL_DEVICE_NONE) == gone)
			break;
		usleep(50 * 1000);
	}
	return info.device_path;
}

/* How the device goes: its sysfs remove, or QEMU's device_del. */
struct removal {
	char dir[300];		/* its directory in /sys/bus/pci/devices */
	int by_monitor;
};

/* The device goes as @r says; 0 once the driver's remove has run. */
static int remove_device(struct pinctl *ctx, const struct removal *r)
{
	char path[600];
	int ret;

	if (!r->by_monitor) {
		snprintf(path, sizeof(path), "%s/remove", r->dir);
		return procfs_write(path, "1");
	}
	ret = monitor_request("unplug", path, sizeof(path));
	if (ret) {
		fprintf(stderr, "device_del: %s\n", path);
		return ret;
	}
	/* the guest's hotplug driver removes it when QEMU asks it to */
	return device_path_becomes(ctx, 1) == PINCTL_DEVICE_NONE ? 0 : -ETIME;
}

/*
 * The device goes (@arg, a struct removal) while a DEVICE_DMA and an
 * endless device writer are in flight.  The DMA is in flight for sure:
 * it has done its first page and waits, outside every lock, for its
 * second page of source bytes, which a userfaultfd holds back until the
 * device is gone.  Then the DMA ends with ENODEV, the writer ends by
 * itself, every DEVICE_* call answers ENODEV, the mappings can still be
 * unmapped, the pins released, and nothing stays pinned.
 */
static int removal_in_flight(void *arg)
{
	size_t big = 2 * PAGE;
	char *buf = pt_anon(big), *buf2 = pt_anon(LEN);
	/* not populated: its second page is missing until the handler says */
	char *src = mmap(NULL, big, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dma_call call = { .len = big, .src = src };
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)src + PAGE, .len = PAGE },
	};
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct pinctl_info2 info = { .sz = sizeof(info) };
	struct pinctl_stats s0, s;
	long vm0 = pt_vmpin_kb();
	uint64_t h, h2, id2;
	pthread_t t;
	int ret, uffd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* the case's end is the child's */
	CHILD_CHECK(src != MAP_FAILED, "mmap");
	memset(src, 0x61, PAGE);
	uffd = uffd_on(src + PAGE, PAGE);
	CHILD_CHECK(uffd >= 0, "userfaultfd: %s", strerror(-uffd));
	CHILD_CHECK(!pinctl_open(&call.ctx, NULL), "open");
	CHILD_CHECK(!pinctl_stats(call.ctx, &s0), "stats");
	CHILD_CHECK(!pinctl_pin(call.ctx, buf, big, PINCTL_PIN_WRITE, &h), "pin");
	CHILD_CHECK(!pinctl_device_map(call.ctx, h, PINCTL_MAP_DEVICE_WRITES, &map), "map");
	call.id = map.id;
	CHILD_CHECK(!pinctl_pin(call.ctx, buf2, LEN, PINCTL_PIN_WRITE, &h2), "pin 2");
	CHILD_CHECK(!pinctl_device_map(call.ctx, h2, PINCTL_MAP_DEVICE_WRITES, &map), "map 2");
	id2 = map.id;
	CHILD_CHECK(!pinctl_device_start(call.ctx, h2, 0, LEN, 61, 0, 0), "writer");
	CHILD_CHECK(!pthread_create(&t, NULL, device_write_call, &call), "thread");
	CHILD_CHECK(!uffd_fault_waits(uffd), "the DMA never reached its second page");
	/* the writer has done a step (the DMA counts its bytes at its end) */
	CHILD_CHECK(!pt_dma_bytes_moved(call.ctx, &s0, EDU_XFER), "the writer wrote nothing");

	ret = remove_device(call.ctx, arg);
	CHILD_CHECK(!ret, "the device did not go: %s", strerror(-ret));
	CHILD_CHECK(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE: %s",
		    strerror(errno));
	CHILD_CHECK(!pthread_join(t, NULL), "join");
	close(uffd);
	/* what it did before the device went is in the pages */
	CHILD_CHECK(util_span_of(buf, PAGE, 0x61) == PAGE,
		    "the DMA's first page is not in the pinned pages");
	CHILD_CHECK(call.ret == -ENODEV, "the DMA in flight ended with %s",
		    strerror(-call.ret));
	/* the writer ended by itself: a CPU writer may start */
	ret = writer_ended(call.ctx, h2, 62);
	CHILD_CHECK(ret == 0, "the device's writer still ran: %s", strerror(-ret));

	CHILD_CHECK(!pinctl_info2(call.ctx, &info), "info");
	CHILD_CHECK(info.device_path == PINCTL_DEVICE_NONE, "INFO still names a device");
	ret = pinctl_device_map(call.ctx, h, PINCTL_MAP_DEVICE_READS, &map);
	CHILD_CHECK(ret == -ENODEV, "DEVICE_MAP after removal: %s", strerror(-ret));
	device_write_call(&call);
	CHILD_CHECK(call.ret == -ENODEV, "DEVICE_DMA after removal: %s",
		    strerror(-call.ret));
	ret = pinctl_device_start(call.ctx, h2, 0, LEN, 63, 1, 0);
	CHILD_CHECK(ret == -ENODEV, "DMA_START on the device after removal: %s",
		    strerror(-ret));
	CHILD_CHECK(!pinctl_device_unmap(call.ctx, call.id), "unmap of a revoked mapping");
	ret = pinctl_device_unmap(call.ctx, call.id);
	CHILD_CHECK(ret == -ENODEV, "a second unmap: %s", strerror(-ret));
	CHILD_CHECK(!pinctl_unpin(call.ctx, h, PINCTL_UNPIN_DIRTY), "unpin");
	/* UNPIN takes the revoked mapping of its pin with it */
	CHILD_CHECK(!pinctl_unpin(call.ctx, h2, 0), "unpin 2");
	ret = pinctl_device_unmap(call.ctx, id2);
	CHILD_CHECK(ret == -ENODEV, "unmap after UNPIN: %s", strerror(-ret));
	CHILD_CHECK(!pinctl_stats(call.ctx, &s), "stats");
	CHILD_CHECK(s.live_pins == s0.live_pins && s.live_pages == s0.live_pages,
		    "%llu pins still live", (unsigned long long)(s.live_pins - s0.live_pins));
	CHILD_CHECK(pt_vmpin_kb() == vm0, "VmPin %ld kB, was %ld", pt_vmpin_kb(), vm0);
	pinctl_close(call.ctx);
	return 0;
}

/* The device back as @r took it away; its path as INFO reports it. */
static uint32_t restore_device(const struct removal *r)
{
	struct pinctl *ctx = pt_open();
	char reply[200];
	uint32_t path;

	if (r->by_monitor)
		ck_assert_msg(!monitor_request("replug", reply, sizeof(reply)),
			      "device_add: %s", reply);
	else
		ck_assert_int_eq(procfs_write("/sys/bus/pci/rescan", "1"), 0);
	path = device_path_becomes(ctx, 0);
	pinctl_close(ctx);
	return path;
}

/*
 * Removal of the device while calls are in flight (removal_in_flight(),
 * in a child so that the device comes back whatever it found): by its
 * sysfs remove, or QEMU's device_del (_i 1); it comes back by a rescan or
 * device_add, on the same path to memory.
 */
START_TEST(removal_while_in_flight)
{
	struct pinctl *ctx = pt_open();
	uint32_t path = info_of(ctx).device_path, again;
	struct removal r = { .by_monitor = _i };
	int status;
	pid_t pid;

	pinctl_close(ctx);
	ck_assert_int_eq(edu_sysfs(r.dir, sizeof(r.dir)), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(removal_in_flight(&r));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	again = restore_device(&r);
	ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the removal scenario failed (status %#x, see above)", status);
	ck_assert_uint_eq(again, path);
}
END_TEST

struct stalled {
	int uffd;		/* in the child */
	int ready[2];		/* the child writes its uffd's number there */
};

/*
 * A caller whose DEVICE_DMA reads its bytes from memory that waits on a
 * userfaultfd nobody serves: it stalls in the copy until it is killed.
 */
static int stall_in_device_dma(void *arg)
{
	struct stalled *st = arg;
	char *src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct pinctl_device_transfer t = xfer(PINCTL_DEVICE_WRITE, 0, 0, PAGE,
					       src, 0);
	char *buf = pt_anon(PAGE);
	struct pinctl *ctx;
	uint64_t h;
	int ret;

	CHILD_CHECK(src != MAP_FAILED, "mmap");
	st->uffd = uffd_on(src, PAGE);
	CHILD_CHECK(st->uffd >= 0, "userfaultfd: %s", strerror(-st->uffd));
	CHILD_CHECK(!pinctl_open(&ctx, NULL), "open");
	CHILD_CHECK(!pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), "pin");
	CHILD_CHECK(!pinctl_device_map(ctx, h, PINCTL_MAP_DEVICE_WRITES, &map), "map");
	CHILD_CHECK(write(st->ready[1], &st->uffd, sizeof(st->uffd)) ==
		    sizeof(st->uffd), "ready");
	ret = pinctl_device_dma(ctx, map.id, &t);
	fprintf(stderr, "the stalled DEVICE_DMA returned: %s\n", strerror(-ret));
	return 1;	/* it may only end killed */
}

/*
 * One caller stalled in DEVICE_DMA on its own buffer stalls nobody else:
 * another process maps, transfers, unmaps and unpins meanwhile, and
 * SIGKILL ends the stalled caller, whose pin its exit releases.
 */
START_TEST(a_stalled_caller_stalls_itself_alone)
{
	struct stalled st = { .uffd = -1 };
	struct pinctl *ctx = pt_open();
	struct pollfd pfd = { .events = POLLIN };
	struct pinctl_stats s0;
	long vm0 = pt_vmpin_kb();
	char *buf = pt_anon(LEN);
	uint64_t h, id;
	int pidfd, status, child_uffd;
	pid_t pid;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pipe(st.ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(st.ready[0]);
		_exit(stall_in_device_dma(&st));
	}
	close(st.ready[1]);	/* a child that fails before it is ready: EOF */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (read(st.ready[0], &child_uffd, sizeof(child_uffd)) != sizeof(child_uffd)) {
		waitpid(pid, &status, 0);
		ck_abort_msg("the child did not get ready (status %#x)", status);
	}
	/* its fault is pending once its userfaultfd has a message */
	pfd.fd = syscall(SYS_pidfd_getfd, pidfd, child_uffd, 0);
	if (pfd.fd < 0 || uffd_fault_waits(pfd.fd)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("the child's DEVICE_DMA never faulted on its userfaultfd");
	}

	ck_assert_int_eq(pinctl_pin(ctx, buf, LEN, PINCTL_PIN_WRITE, &h), 0);
	id = map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES | PINCTL_MAP_DEVICE_READS);
	device_fill(ctx, id, 0, LEN, 64, PINCTL_DEVICE_DMA_SYNC);
	ck_assert_uint_eq(device_mismatches(ctx, id, 0, LEN, 64), 0);
	ck_assert_int_eq(pinctl_device_unmap(ctx, id), 0);
	map_for(ctx, h, PINCTL_MAP_DEVICE_WRITES);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "the stalled child ended otherwise (status %#x)", status);
	close(pfd.fd);
	close(pidfd);
	close(st.ready[0]);
	pt_nothing_left(ctx, &s0, vm0);
	pinctl_close(ctx);
}
END_TEST

/* Without the device everything else works, and INFO says so. */
START_TEST(no_device_is_reported)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info2 info = info_of(ctx);
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	char *buf = pt_anon(PAGE);
	uint64_t h;

	ck_assert_uint_eq(info.device_path, PINCTL_DEVICE_NONE);
	ck_assert_uint_eq(info.device_dma_bits, 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pinctl_device_map(ctx, h, PINCTL_MAP_DEVICE_WRITES, &map), -ENODEV);
	ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_device(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noedu = nodev ?: pt_edu_missing();
	TCase *tc;
	/* a removal case may wait for the monitor's device_add for minutes */
	Suite *s = pt_suite(run, "device", 600, &tc);
	static const enum mem_kind files[] = { MEM_TMPFS, MEM_EXT4, MEM_XFS };

	/* without the device, this one case; with it, all the others */
	if (nodev || noedu)
		PT_ADD(run, tc, no_device_is_reported, nodev);
	PT_ADD(run, tc, info_names_the_path, noedu);
	PT_ADD(run, tc, device_writes_land_in_the_pages, noedu);
	PT_ADD(run, tc, device_reads_what_the_cpu_wrote, noedu);
	PT_ADD(run, tc, device_writes_a_thp, noedu ?: mem_unavailable(MEM_THP));
	PT_ADD(run, tc, device_writes_visible_as_the_dma_api_says,
	       noedu ?: getuid() ? "needs root (PFNs)" : NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		pt_add(run, tc, truncate_while_mapped, files[i], files[i] + 1,
		       mem_name(files[i]), noedu ?: mem_unavailable(files[i]));
	pt_add(run, tc, writeback_while_mapped, MEM_EXT4, MEM_EXT4 + 1,
	       mem_name(MEM_EXT4), noedu ?: getuid() ? "needs root (drop_caches)" :
	       mem_unavailable(MEM_EXT4));
	PT_ADD(run, tc, fork_while_mapped, noedu);
	PT_ADD(run, tc, unpin_and_close_unmap_first, noedu);
	PT_ADD(run, tc, device_writer_ends_with_its_mapping, noedu);
	PT_ADD(run, tc, device_map_races_unpin, noedu);
	PT_ADD(run, tc, device_maps_race_each_other, noedu);
	PT_ADD(run, tc, a_stalled_caller_stalls_itself_alone,
	       noedu ?: getuid() ? "needs root (pidfd_getfd)" : uffd_missing());
	PT_ADD(run, tc, bus_transfers_are_guarded, noedu ?: getuid() ? "needs root" : NULL);
	/* only behind an IOMMU: elsewhere the bus address is a physical one */
	if (!noedu && pt_edu_behind_iommu())
		PT_ADD(run, tc, iommu_faults_a_stale_bus_address,
		       getuid() ? "needs root (bus addresses)" : NULL);
	/* last: the device goes, and comes back */
	pt_add(run, tc, removal_while_in_flight, 0, 1, "sysfs remove",
	       noedu ?: getuid() ? "needs root (sysfs remove)" : uffd_missing());
	pt_add(run, tc, removal_while_in_flight, 1, 2, "QEMU device_del",
	       noedu ?: !getenv("PINTEST_MONITOR") ?
	       "no QEMU monitor (vm/pintest-vm --device gives one)" :
	       hotplug_missing() ?: uffd_missing());
	return s;
}
