// SPDX-License-Identifier: GPL-2.0
/*
 * pintest-bench: what pinning costs on the running kernel, in one boot
 * (make bench).  Every figure is the median of RUNS runs after a warm-up.
 *
 *  - pin and unpin of BENCH_MIB as base pages, THP and hugetlb, per method:
 *    ns/page seen by the caller, and the module's own time in
 *    pin_user_pages*() and in the unpin, whose difference is the ioctl's
 *    overhead;
 *  - the floor: a no-op ioctl (INFO);
 *  - io_uring buffer registration of the same memory, the peer;
 *  - gup_test PIN_FAST and PIN_LONGTERM where the kernel has it (debug);
 *  - QUERY pages/s; DMA read and write bandwidth against an in-kernel
 *    memcpy() of the same size (debugfs); 1..4 threads pinning; and the
 *    module's bookkeeping bytes per pinned page and per pin.
 *
 * Prints a table, then the same as JSON lines ("json: {...}") that
 * bench/run-bench collects.  Timings only: it asserts nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/pintest_gup_test.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "pinctl.h"
#include "procfs.h"
#include "util.h"

#define RUNS		5
#define DMA_BYTES	(64UL << 20)
#define DBG_PINTEST	"/sys/kernel/debug/pintest/"
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define QUERY_BATCH	512	/* entries a QUERY call */

#define GUP_FOLL_WRITE		0x01	/* FOLL_WRITE, 6.1 and later */

/* "4k" is the base page, whatever its size: the name bench/run-bench reads */
enum kind { K4K, KTHP, KHUGETLB, KINDS };
static const char *const kind_name[KINDS] = { "4k", "thp", "hugetlb" };

/*
 * What every benchmark uses: the module, how much memory to pin, and the
 * sizes of this kernel's pages, read at run time.
 */
struct bench {
	struct pinctl *ctx;
	size_t bytes;
	size_t pmd;		/* what a PMD maps: a THP */
	int thp;		/* whether the kernel has THP */
	size_t huge;		/* the default hugetlb page; 0 without hugetlbfs */
};

/*
 * THP's hpage_pmd_size where the kernel has THP; else what a PMD maps
 * with page-sized tables of 8-byte entries (2 MiB of 4 KiB pages, 32 MiB
 * of 16 KiB, 512 MiB of 64 KiB).
 */
static size_t pmd_size(int *thp)
{
	long v = procfs_read_long("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");

	*thp = v > 0;
	return v > 0 ? (size_t)v : PAGE * (PAGE / sizeof(uint64_t));
}

/* The default huge page size (MAP_HUGETLB, nr_hugepages); 0 if none. */
static size_t hugetlb_size(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb << 10;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void json(const char *fmt, ...)
{
	va_list ap;

	printf("json: {");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("}\n");
}

/* Sets a sysctl and returns what it then reads (the kernel may give less). */
static long write_sysctl(const char *path, long v)
{
	procfs_write_long(path, v);
	return procfs_read_long(path);
}

/* @bytes of populated memory of @kind, or NULL (with the reason printed). */
static char *get_mem(const struct bench *b, enum kind kind, size_t bytes)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t align = b->pmd;
	char *raw, *p;

	if (kind == KHUGETLB) {
		long want = b->huge ? (long)(bytes / b->huge) : 0;

		if (!b->huge) {
			printf("bench: SKIP hugetlb: the kernel has no hugetlbfs (Hugepagesize)\n");
			return NULL;
		}
		/* reserved by main() while memory was not yet fragmented */
		if (procfs_read_long(NR_HUGEPAGES) < want) {
			printf("bench: SKIP hugetlb: could not reserve %ld huge pages\n", want);
			return NULL;
		}
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		memset(p, 1, bytes);
		return p;
	}
	if (kind == KTHP && !b->thp) {
		printf("bench: SKIP thp: the kernel has no THP (hpage_pmd_size)\n");
		return NULL;
	}
	/* THP wants PMD alignment: over-map and trim */
	raw = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + bytes, raw + align - p);
	madvise(p, bytes, kind == KTHP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(p, 1, bytes);
	return p;
}

struct pin_cost {
	double pin_wall, pin_kernel, unpin_wall, unpin_kernel;	/* ns */
};

static int pin_once(struct pinctl *ctx, char *p, size_t bytes,
		    unsigned int flags, struct pin_cost *c)
{
	struct pinctl_pin_result pin = { .sz = sizeof(pin) };
	struct pinctl_unpin_result unpin = { .sz = sizeof(unpin) };
	double t0 = now_ns(), t1;
	int ret;

	ret = pinctl_pin2(ctx, p, bytes, flags, &pin);
	if (ret)
		return ret;
	t1 = now_ns();
	ret = pinctl_unpin2(ctx, pin.handle, 0, &unpin);
	if (ret)
		return ret;
	c->pin_wall = t1 - t0;
	c->unpin_wall = now_ns() - t1;
	c->pin_kernel = pin.pin_ns;
	c->unpin_kernel = unpin.unpin_ns;
	return 0;
}

/* Median of RUNS pin+unpin cycles after one warm-up; -errno on failure. */
static int pin_cost(struct pinctl *ctx, char *p, size_t bytes,
		    unsigned int flags, struct pin_cost *out)
{
	double pw[RUNS], pk[RUNS], uw[RUNS], uk[RUNS];
	struct pin_cost c;
	int ret = pin_once(ctx, p, bytes, flags, &c);

	for (int r = 0; !ret && r < RUNS; r++) {
		ret = pin_once(ctx, p, bytes, flags, &c);
		pw[r] = c.pin_wall, pk[r] = c.pin_kernel;
		uw[r] = c.unpin_wall, uk[r] = c.unpin_kernel;
	}
	if (ret)
		return ret;
	out->pin_wall = median(pw, RUNS);
	out->pin_kernel = median(pk, RUNS);
	out->unpin_wall = median(uw, RUNS);
	out->unpin_kernel = median(uk, RUNS);
	return 0;
}

static double io_uring_cost(char *p, size_t bytes)
{
	struct iovec iov = { p, bytes };
	struct io_uring ring;
	double v[RUNS];

	if (io_uring_queue_init(4, &ring, 0))
		return -1;
	for (int r = -1; r < RUNS; r++) {
		double t0 = now_ns();

		if (io_uring_register_buffers(&ring, &iov, 1) ||
		    io_uring_unregister_buffers(&ring)) {
			io_uring_queue_exit(&ring);
			return -1;
		}
		if (r >= 0)
			v[r] = now_ns() - t0;
	}
	io_uring_queue_exit(&ring);
	return median(v, RUNS);
}

/*
 * gup_test's own pin+unpin of the same memory, a PMD's pages a call, in
 * ns; -1 without it.
 */
static double gup_test_cost(const struct bench *b, char *p, unsigned long cmd)
{
	char target[64];
	/* pintest's own stands there where the kernel has none: not a baseline */
	int fd = readlink(DBG_PINTEST "gup_test", target, sizeof(target)) > 0 ? -1 :
		 open("/sys/kernel/debug/gup_test", O_RDWR);
	double v[RUNS];

	if (fd < 0)
		return -1;
	for (int r = -1; r < RUNS; r++) {
		struct gup_test gup = {
			.addr = (uintptr_t)p, .size = b->bytes,
			.nr_pages_per_call = b->pmd / PAGE, .gup_flags = GUP_FOLL_WRITE,
		};

		if (ioctl(fd, cmd, &gup)) {
			close(fd);
			return -1;
		}
		if (r >= 0)
			v[r] = (gup.get_delta_usec + gup.put_delta_usec) * 1000.0;
	}
	close(fd);
	return median(v, RUNS);
}

static const unsigned int methods[] = {
	PINCTL_PIN_WRITE | PINCTL_PIN_FAST,
	PINCTL_PIN_WRITE | PINCTL_PIN_LOCKED,
	PINCTL_PIN_WRITE | PINCTL_PIN_UNLOCKED,
	PINCTL_PIN_WRITE | PINCTL_PIN_FAST | PINCTL_PIN_LONGTERM,
};

/* "fast", "fast+longterm" */
static void method_label(unsigned int flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", pinctl_method_name(flags),
		 flags & PINCTL_PIN_LONGTERM ? "+longterm" : "");
}

static void bench_pins(const struct bench *b)
{
	printf("\n%-8s %-14s %10s %10s %10s %10s %9s\n", "memory", "method",
	       "pin ns/pg", "in-kernel", "unpin", "in-kernel", "overhead");
	for (int k = 0; k < KINDS; k++) {
		double pages = b->bytes / PAGE, ring, gup_fast, gup_long;
		char *p = get_mem(b, k, b->bytes);

		if (!p)
			continue;
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			struct pin_cost c;
			double overhead;
			char name[32];
			int ret = pin_cost(b->ctx, p, b->bytes, methods[m], &c);

			method_label(methods[m], name, sizeof(name));
			if (ret) {
				printf("%-8s %-14s failed: %s\n", kind_name[k], name,
				       strerror(-ret));
				continue;
			}
			overhead = (c.pin_wall + c.unpin_wall) / (c.pin_kernel + c.unpin_kernel) - 1;
			printf("%-8s %-14s %10.1f %10.1f %10.1f %10.1f %8.1f%%\n", kind_name[k],
			       name, c.pin_wall / pages, c.pin_kernel / pages,
			       c.unpin_wall / pages, c.unpin_kernel / pages, overhead * 100);
			json("\"bench\": \"pin\", \"memory\": \"%s\", \"method\": \"%s\", \"bytes\": %zu, "
			     "\"pin_ns_per_page\": %.2f, \"pin_kernel_ns_per_page\": %.2f, "
			     "\"unpin_ns_per_page\": %.2f, \"unpin_kernel_ns_per_page\": %.2f, "
			     "\"ioctl_overhead\": %.4f", kind_name[k], name, b->bytes,
			     c.pin_wall / pages, c.pin_kernel / pages, c.unpin_wall / pages,
			     c.unpin_kernel / pages, overhead);
		}
		ring = io_uring_cost(p, b->bytes);
		if (ring > 0) {
			printf("%-8s %-14s %10.1f (register + unregister, ns/page)\n",
			       kind_name[k], "io_uring", ring / pages);
			json("\"bench\": \"io_uring\", \"memory\": \"%s\", \"bytes\": %zu, "
			     "\"register_unregister_ns_per_page\": %.2f", kind_name[k], b->bytes,
			     ring / pages);
		} else {
			printf("%-8s %-14s unavailable\n", kind_name[k], "io_uring");
		}
		gup_fast = gup_test_cost(b, p, PIN_FAST_BENCHMARK);
		gup_long = gup_test_cost(b, p, PIN_LONGTERM_BENCHMARK);
		if (gup_fast > 0 && gup_long > 0) {
			printf("%-8s %-14s %10.1f (pin+unpin ns/page; longterm %.1f)\n", kind_name[k],
			       "gup_test fast", gup_fast / pages, gup_long / pages);
			json("\"bench\": \"gup_test\", \"memory\": \"%s\", \"bytes\": %zu, "
			     "\"pin_fast_ns_per_page\": %.2f, \"pin_longterm_ns_per_page\": %.2f",
			     kind_name[k], b->bytes, gup_fast / pages, gup_long / pages);
		} else if (k == K4K) {
			printf("bench: SKIP gup_test: no /sys/kernel/debug/gup_test "
			       "(CONFIG_GUP_TEST; make bench KERNEL=debug)\n");
		}
		munmap(p, b->bytes);
	}
}

static void bench_nop(const struct bench *b)
{
	double v[RUNS];
	const int calls = 20000;

	for (int r = -1; r < RUNS; r++) {
		double t0 = now_ns();

		for (int i = 0; i < calls; i++) {
			struct pinctl_info info;

			pinctl_info(b->ctx, &info);
		}
		if (r >= 0)
			v[r] = (now_ns() - t0) / calls;
	}
	printf("\nno-op ioctl (INFO): %.0f ns\n", median(v, RUNS));
	json("\"bench\": \"nop_ioctl\", \"ns\": %.1f", median(v, RUNS));
}

/* The device writes @buf into the pin (@write), or reads the pin into it. */
static double dma_ns(struct pinctl *ctx, uint64_t handle, int write,
		     void *buf, size_t bytes)
{
	double v[RUNS];

	for (int r = -1; r < RUNS; r++) {
		double t0 = now_ns();

		if (write ? pinctl_dma_write(ctx, handle, 0, buf, bytes) :
			    pinctl_dma_read(ctx, handle, 0, buf, bytes))
			return -1;
		if (r >= 0)
			v[r] = now_ns() - t0;
	}
	return median(v, RUNS);
}

/* The module's in-kernel memcpy() of @bytes, through debugfs; -1 without it. */
static double memcpy_ns(size_t bytes)
{
	double v[RUNS];
	char b[64];

	for (int r = 0; r < RUNS; r++) {
		unsigned long long got, ns;
		int fd = open(DBG_PINTEST "memcpy", O_RDWR);
		int n = snprintf(b, sizeof(b), "%zu", bytes);

		if (fd < 0 || write(fd, b, n) != n || lseek(fd, 0, SEEK_SET) ||
		    read(fd, b, sizeof(b) - 1) <= 0 || sscanf(b, "%llu %llu", &got, &ns) != 2) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		v[r] = ns;
	}
	return median(v, RUNS);
}

/*
 * The module copying @bytes a page at a time to (@to_user) or from @buf
 * and a kernel buffer, as DMA READ and WRITE do without the pin: the fair
 * baseline of the simulated device.  In-kernel ns; -1 without debugfs.
 */
static double usercopy_ns(void *buf, size_t bytes, int to_user)
{
	unsigned long long v4[4];
	double v[RUNS];
	char b[128];

	for (int r = -1; r < RUNS; r++) {
		int fd = open(DBG_PINTEST "usercopy", O_RDWR), ok;

		ok = fd >= 0 && (to_user ? read(fd, buf, bytes) : write(fd, buf, bytes)) ==
			       (ssize_t)bytes;
		if (fd >= 0)
			close(fd);
		fd = open(DBG_PINTEST "usercopy_ns", O_RDONLY);
		ok = ok && fd >= 0 && read(fd, b, sizeof(b) - 1) > 0 &&
		     sscanf(b, "%llu %llu %llu %llu", &v4[0], &v4[1], &v4[2], &v4[3]) == 4;
		if (fd >= 0)
			close(fd);
		if (!ok)
			return -1;
		if (r >= 0)
			v[r] = to_user ? v4[1] : v4[3];
	}
	return median(v, RUNS);
}

static void bench_query_and_dma(const struct bench *b)
{
	size_t pages = DMA_BYTES / PAGE;
	char *p = get_mem(b, K4K, DMA_BYTES), *user = get_mem(b, K4K, DMA_BYTES);
	struct pinctl_page *entries = calloc(QUERY_BATCH, sizeof(*entries));
	double v[RUNS], q, rd, wr, mc, ucr, ucw;
	uint64_t h;

	if (!p || !user || !entries ||
	    pinctl_pin(b->ctx, p, DMA_BYTES, PINCTL_PIN_WRITE, &h)) {
		printf("bench: QUERY/DMA: cannot pin %lu MiB\n", DMA_BYTES >> 20);
		return;
	}
	for (int r = -1; r < RUNS; r++) {
		double t0 = now_ns();

		for (size_t first = 0; first < pages; first += QUERY_BATCH)
			pinctl_query(b->ctx, h, first, pages - first < QUERY_BATCH ?
				     pages - first : QUERY_BATCH, entries);
		if (r >= 0)
			v[r] = now_ns() - t0;
	}
	q = median(v, RUNS);
	rd = dma_ns(b->ctx, h, 0, user, DMA_BYTES);
	wr = dma_ns(b->ctx, h, 1, user, DMA_BYTES);
	mc = memcpy_ns(DMA_BYTES);
	ucr = usercopy_ns(user, DMA_BYTES, 1);
	ucw = usercopy_ns(user, DMA_BYTES, 0);
	pinctl_unpin(b->ctx, h, 0);

	printf("\nQUERY: %.0f pages/s (%d entries a call)\n", pages / (q / 1e9), QUERY_BATCH);
	json("\"bench\": \"query\", \"pages_per_s\": %.0f", pages / (q / 1e9));
	printf("DMA %lu MiB: read %.0f MB/s, write %.0f MB/s", DMA_BYTES >> 20,
	       DMA_BYTES / (rd / 1e3), DMA_BYTES / (wr / 1e3));
	if (mc > 0) {
		printf(", in-kernel memcpy %.0f MB/s: read %.2f, write %.2f of memcpy\n",
		       DMA_BYTES / (mc / 1e3), mc / rd, mc / wr);
		json("\"bench\": \"dma\", \"bytes\": %lu, \"read_mb_s\": %.1f, \"write_mb_s\": %.1f, "
		     "\"memcpy_mb_s\": %.1f, \"read_vs_memcpy\": %.3f, \"write_vs_memcpy\": %.3f",
		     DMA_BYTES, DMA_BYTES / (rd / 1e3), DMA_BYTES / (wr / 1e3),
		     DMA_BYTES / (mc / 1e3), mc / rd, mc / wr);
	} else {
		printf("\nbench: SKIP memcpy baseline: no " DBG_PINTEST "memcpy\n");
	}
	if (ucr > 0 && ucw > 0) {
		printf("the same page-sized user copies without a pin: read %.0f MB/s, write %.0f MB/s: "
		       "DMA read %.2f, write %.2f of them\n", DMA_BYTES / (ucr / 1e3),
		       DMA_BYTES / (ucw / 1e3), ucr / rd, ucw / wr);
		json("\"bench\": \"dma_usercopy\", \"bytes\": %lu, \"usercopy_read_mb_s\": %.1f, "
		     "\"usercopy_write_mb_s\": %.1f, \"read_vs_usercopy\": %.3f, \"write_vs_usercopy\": %.3f",
		     DMA_BYTES, DMA_BYTES / (ucr / 1e3), DMA_BYTES / (ucw / 1e3), ucr / rd, ucw / wr);
	} else {
		printf("bench: SKIP usercopy baseline: no " DBG_PINTEST "usercopy\n");
	}
	munmap(p, DMA_BYTES);
	munmap(user, DMA_BYTES);
	free(entries);
}

struct thread_arg {
	struct pinctl *ctx;
	char *p;
	size_t bytes;
	size_t pages;		/* pinned and unpinned, out */
};

static void *pin_loop(void *arg)
{
	struct thread_arg *a = arg;
	size_t chunk = 16UL << 20;
	struct pin_cost c;

	a->pages = 0;
	for (int i = 0; i < 4; i++)
		for (size_t off = 0; off < a->bytes; off += chunk)
			if (!pin_once(a->ctx, a->p + off, chunk, PINCTL_PIN_WRITE, &c))
				a->pages += chunk / PAGE;
	return NULL;
}

static void bench_threads(const struct bench *b)
{
	size_t per = 64UL << 20;
	int max = 2 * sysconf(_SC_NPROCESSORS_ONLN);
	struct thread_arg *a = calloc(max, sizeof(*a));
	pthread_t *t = calloc(max, sizeof(*t));

	printf("\nthreads pinning their own 64 MiB in 16 MiB pins (base pages):\n");
	for (int i = 0; i < max; i++)
		a[i].ctx = b->ctx, a[i].p = get_mem(b, K4K, per), a[i].bytes = per;
	for (int n = 1; n <= max; n++) {
		double total = 0, t0 = now_ns();

		for (int i = 0; i < n; i++)
			pthread_create(&t[i], NULL, pin_loop, &a[i]);
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			total += a[i].pages;
		}
		total /= (now_ns() - t0) / 1e9;	/* all threads' pages over the wall time */
		printf("  %d: %.0f pages/s\n", n, total);
		json("\"bench\": \"threads\", \"threads\": %d, \"pages_per_s\": %.0f", n, total);
	}
	for (int i = 0; i < max; i++)
		munmap(a[i].p, per);
	free(a);
	free(t);
}

/* STATS bookkeeping_bytes of a pin of @len bytes at @p, or -1. */
static double pin_bytes(struct pinctl *ctx, char *p, size_t len)
{
	struct pinctl_stats2 s0 = { .sz = sizeof(s0) }, s1 = s0;
	uint64_t h;

	if (pinctl_stats2(ctx, &s0) || pinctl_pin(ctx, p, len, 0, &h))
		return -1;
	pinctl_stats2(ctx, &s1);
	pinctl_unpin(ctx, h, 0);
	return (double)(s1.bookkeeping_bytes - s0.bookkeeping_bytes);
}

/*
 * Bytes per page from pins of half and all of the buffer: the slope is
 * what each page costs, the rest is what each pin costs.
 */
static void bench_bookkeeping(const struct bench *b)
{
	size_t half = b->bytes / 2, pages = (b->bytes - half) / PAGE;

	printf("\n");
	for (int k = K4K; k <= KTHP; k++) {
		char *p = get_mem(b, k, b->bytes);
		double b_half, b_all, per, fixed;

		if (!p)
			continue;
		b_half = pin_bytes(b->ctx, p, half);
		b_all = pin_bytes(b->ctx, p, b->bytes);
		munmap(p, b->bytes);
		if (b_half < 0 || b_all < 0)
			continue;
		per = (b_all - b_half) / pages;
		fixed = b_half - per * (half / PAGE);
		printf("bookkeeping: %s %.3f B per %zu KiB page (%.0f B per %zu KiB PMD) + %.0f B per pin\n",
		       kind_name[k], per, PAGE >> 10, per * (b->pmd / PAGE), b->pmd >> 10, fixed);
		/* bytes_per_4k_page: per 4 KiB of memory, the unit bench/run-bench reads */
		json("\"bench\": \"bookkeeping\", \"memory\": \"%s\", \"page_size\": %zu, "
		     "\"bytes_per_page\": %.3f, \"bytes_per_4k_page\": %.3f, \"bytes_per_pin\": %.0f",
		     kind_name[k], PAGE, per, per * 4096 / PAGE, fixed);
	}
}

/* The path INFO names for the device. */
static const char *path_name(uint32_t path)
{
	static const char *const names[] = { "none", "direct", "swiotlb", "iommu" };

	return path < 4 ? names[path] : "?";
}

#define DEVICE_PAGES	1024	/* mapped and unmapped, to time the DMA API */
#define DEVICE_DMA_LEN	(16UL << 10)	/* the device writes: 8 of edu's 2 KiB transfers */

/*
 * The real device, where one is bound: the DMA API's cost of a mapping
 * (dma_map_sgtable() + dma_unmap_sgtable() with the sg table, per page)
 * on this path, and the device's own pace (edu: a transfer per 100 ms of
 * QEMU's virtual time, twice per chunk through the staging buffer).
 */
static void bench_device(const struct bench *b)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct pinctl_device_transfer t = {
		.sz = sizeof(t), .op = PINCTL_DEVICE_FILL,
		.flags = PINCTL_DEVICE_DMA_SYNC, .len = DEVICE_DMA_LEN, .seed = 1,
	};
	size_t bytes = DEVICE_PAGES * PAGE;
	double runs[RUNS], t0, per_page, dma_s;
	char *p = get_mem(b, K4K, bytes);
	uint64_t h;

	if (pinctl_info2(b->ctx, &info) || info.device_path == 0) {
		printf("bench: SKIP device: no edu device bound (vm/pintest-vm --device edu)\n");
		return;
	}
	if (!p || pinctl_pin(b->ctx, p, bytes, PINCTL_PIN_WRITE, &h)) {
		printf("bench: device: cannot pin %zu bytes\n", bytes);
		if (p)
			munmap(p, bytes);
		return;
	}
	for (int r = -1; r < RUNS; r++) {
		t0 = now_ns();
		if (pinctl_device_map(b->ctx, h, PINCTL_MAP_DEVICE_WRITES, &map) ||
		    pinctl_device_unmap(b->ctx, map.id)) {
			printf("bench: device: DEVICE_MAP failed\n");
			goto out;
		}
		if (r >= 0)
			runs[r] = now_ns() - t0;
	}
	per_page = median(runs, RUNS) / DEVICE_PAGES;
	if (pinctl_device_map(b->ctx, h, PINCTL_MAP_DEVICE_WRITES, &map))
		goto out;
	t0 = now_ns();
	if (pinctl_device_dma(b->ctx, map.id, &t)) {
		printf("bench: device: DEVICE_DMA failed\n");
		pinctl_device_unmap(b->ctx, map.id);
		goto out;
	}
	dma_s = (now_ns() - t0) / 1e9;
	pinctl_device_unmap(b->ctx, map.id);
	printf("\n%-8s %-8s %8s %22s %16s\n", "device", "path", "mask", "map+unmap ns/page", "DMA KiB/s");
	printf("%-8s %-8s %7u%s %22.1f %16.1f\n", "edu", path_name(info.device_path),
	       info.device_dma_bits, "b", per_page, DEVICE_DMA_LEN / 1024.0 / dma_s);
	json("\"bench\": \"device\", \"path\": \"%s\", \"dma_bits\": %u, "
	     "\"map_unmap_ns_per_page\": %.1f, \"dma_bytes_per_s\": %.0f, \"transfers\": %llu",
	     path_name(info.device_path), info.device_dma_bits, per_page,
	     DEVICE_DMA_LEN / dma_s, (unsigned long long)t.transfers);
out:
	pinctl_unpin(b->ctx, h, 0);
	munmap(p, bytes);
}

int main(void)
{
	struct bench bench = {
		.bytes = util_env_long("BENCH_MIB", 1024) << 20,
		.huge = hugetlb_size(),
	};
	const struct bench *b = &bench;
	long huge0 = procfs_read_long(NR_HUGEPAGES), want;
	int ret;

	bench.pmd = pmd_size(&bench.thp);

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = pinctl_open(&bench.ctx, NULL);
	if (ret) {
		fprintf(stderr, "bench: /dev/pintest: %s\n", strerror(-ret));
		return 1;
	}
	/* the extra boots of make bench: the device on another path */
	if (util_env_long("BENCH_DEVICE_ONLY", 0)) {
		bench_device(b);
		pinctl_close(bench.ctx);
		return 0;
	}
	printf("bench: %zu MiB, median of %d runs after a warm-up; pages of %zu KiB, PMD %zu KiB%s\n",
	       b->bytes >> 20, RUNS, PAGE >> 10, b->pmd >> 10, b->thp ? "" : " (no THP)");
	json("\"bench\": \"setup\", \"bytes\": %zu, \"runs\": %d, \"page_size\": %zu, "
	     "\"pmd_size\": %zu, \"hugetlb_size\": %zu", b->bytes, RUNS, PAGE, b->pmd, b->huge);
	/* huge pages first, before the other runs fragment memory */
	want = b->huge ? (long)(b->bytes / b->huge) : 0;
	if (huge0 >= 0 && huge0 < want)
		write_sysctl(NR_HUGEPAGES, want);
	bench_nop(b);
	bench_pins(b);
	bench_query_and_dma(b);
	bench_threads(b);
	bench_bookkeeping(b);
	bench_device(b);
	/* as it was */
	if (huge0 >= 0 && huge0 < want)
		write_sysctl(NR_HUGEPAGES, huge0);
	pinctl_close(bench.ctx);
	return 0;
}
