// SPDX-License-Identifier: GPL-2.0
/*
 * Race and integrity stress: a pin with the in-flight writer running
 * (the device still doing DMA: the CPU acting as one, or in the rows
 * labelled "@edu" the real one through the DMA API) against munmap,
 * truncate and hole punch, writeback, fork, madvise, mremap, compaction
 * and memory pressure, and many threads pinning overlapping ranges of one
 * buffer.  Every iteration
 * checks data and state; stress_end() checks that nothing was left behind
 * and that the kernel logged nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"
#include "stress.h"

static const char suite_name[] = "stress";

/* Four pages, or one folio of the large kinds. */
static size_t stress_len(enum mem_kind kind)
{
	return mem_folio(kind) > 4 * PAGE ? mem_folio(kind) : 4 * PAGE;
}

/*
 * How many rows of @test share the seconds of its row @i: every one that
 * runs here, whatever its writer (make check boots the CPU's rows and the
 * device's apart; make run runs both).  Counted from the registrations themselves,
 * made before Check runs a case, forked or not: a row added to or
 * skipped from the table below changes every row's share.
 */
static int rows_sharing(const TTest *test, int i)
{
	int n, rows = 0;
	const struct pt_case *c = pt_cases(&n);

	for (int k = 0; k < n; k++)
		if (!strcmp(c[k].suite, suite_name) && !strcmp(c[k].test, test->name) &&
		    !c[k].skip)
			rows += c[k].end - c[k].start;
	ck_assert_msg(rows > 0, "%s:%d is not registered", test->name, i);
	return rows;
}

static void write_sysctl(const char *path, const char *value)
{
	int ret = procfs_write(path, value);

	ck_assert_msg(ret == 0, "%s: %s", path, strerror(-ret));
}

static void assert_all_pinned(struct stress *st, uint64_t h, size_t len,
			      uint32_t must, int mapcount)
{
	size_t n = len / PAGE;
	struct pinctl_page *p = calloc(n, sizeof(*p));

	ck_assert_int_eq(pinctl_query(st->ctx, h, 0, n, p), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg((p[i].flags & (must | PINCTL_PAGE_MAYBE_DMA_PINNED)) ==
			      (must | PINCTL_PAGE_MAYBE_DMA_PINNED),
			      "page %zu flags %#x", i, p[i].flags);
		if (mapcount >= 0)
			ck_assert_int_eq(p[i].mapcount, mapcount);
	}
	free(p);
}

/* munmap while the device writes: the pages stay valid until unpin. */
START_TEST(pin_vs_munmap)
{
	size_t len = stress_len(stress_kind(_i));
	struct stress st;

	stress_begin(&st, "munmap", _i, rows_sharing(pin_vs_munmap, _i));
	while (stress_more(&st)) {
		uint64_t h, seed = st.iterations + 1;
		struct test_mem m;

		mem_create(&m, stress_kind(_i), len);
		ck_assert_int_eq(pinctl_pin(st.ctx, m.addr, len, PINCTL_PIN_WRITE, &h), 0);
		stress_writer_start(&st, h, len, seed);
		ck_assert_int_eq(mem_unmap(&m), 0);
		assert_all_pinned(&st, h, len, PINCTL_PAGE_PRESENT, 0);
		stress_writer_stop(&st, h, len, seed);
		ck_assert_int_eq(pinctl_unpin(st.ctx, h, PINCTL_UNPIN_DIRTY), 0);
		mem_destroy(&m);
		st.iterations++;
	}
	stress_end(&st);
}
END_TEST

static uint64_t nonzero_bytes(const char *buf, size_t len)
{
	uint64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] != 0;
	return n;
}

/* Truncate or punch a hole while the device writes: never in the file. */
START_TEST(pin_vs_truncate)
{
	size_t len = stress_len(stress_kind(_i));
	char *buf = malloc(len);
	struct stress st;

	stress_begin(&st, "truncate", _i, rows_sharing(pin_vs_truncate, _i));
	while (stress_more(&st)) {
		uint64_t h, seed = st.iterations + 1;
		int punch = st.iterations % 2;
		struct test_mem m;

		mem_create(&m, stress_kind(_i), len);
		stress_pin(&st, &m, len, &h);
		stress_writer_start(&st, h, len, seed);
		if (punch)
			ck_assert_int_eq(fallocate(m.fd, FALLOC_FL_PUNCH_HOLE |
						   FALLOC_FL_KEEP_SIZE, 0, len), 0);
		else
			ck_assert_int_eq(ftruncate(m.fd, 0), 0);
		assert_all_pinned(&st, h, len, PINCTL_PAGE_TRUNCATED, 0);
		stress_writer_stop(&st, h, len, seed);
		ck_assert_int_eq(pinctl_unpin(st.ctx, h, PINCTL_UNPIN_DIRTY), 0);
		if (!punch)
			ck_assert_int_eq(ftruncate(m.fd, len), 0);
		ck_assert_int_eq(pread(m.fd, buf, len, 0), (ssize_t)len);
		st.mismatches += nonzero_bytes(buf, len);
		mem_destroy(&m);
		st.iterations++;
	}
	free(buf);
	stress_end(&st);
}
END_TEST

static void sync_one_way(struct test_mem *m, uint64_t i)
{
	switch (i % 6) {
	case 0:
		ck_assert_int_eq(fsync(m->fd), 0);
		break;
	case 1:
		ck_assert_int_eq(fdatasync(m->fd), 0);
		break;
	case 2:
		ck_assert_int_eq(msync(m->addr, m->len, MS_SYNC), 0);
		break;
	case 3:
		ck_assert_int_eq(sync_file_range(m->fd, 0, m->len,
						 SYNC_FILE_RANGE_WAIT_BEFORE |
						 SYNC_FILE_RANGE_WRITE |
						 SYNC_FILE_RANGE_WAIT_AFTER), 0);
		break;
	case 4:
		ck_assert_int_eq(syncfs(m->fd), 0);
		break;
	default:
		write_sysctl("/proc/sys/vm/drop_caches", "1\n");
		break;
	}
}

/*
 * Writeback while the device writes; with a dirtying unpin and fsync the
 * device's data is in the file.  Every 8th iteration reads it back from
 * the disk (unmapped, caches dropped) rather than from the page cache.
 */
START_TEST(pin_vs_writeback)
{
	size_t len = stress_len(stress_kind(_i));
	char *buf = malloc(len);
	struct stress st;

	stress_begin(&st, "writeback", _i, rows_sharing(pin_vs_writeback, _i));
	while (stress_more(&st)) {
		uint64_t h, first, seed = st.iterations + 1;
		struct test_mem m;

		mem_create(&m, stress_kind(_i), len);
		stress_pin(&st, &m, len, &h);
		ck_assert_int_eq(fsync(m.fd), 0);	/* clean: only DMA follows */
		stress_writer_start(&st, h, len, seed);
		sync_one_way(&m, st.iterations);
		stress_writer_stop(&st, h, len, seed);
		ck_assert_int_eq(pinctl_unpin(st.ctx, h, PINCTL_UNPIN_DIRTY), 0);
		ck_assert_int_eq(fsync(m.fd), 0);
		if (st.iterations % 8 == 0) {
			ck_assert_int_eq(mem_unmap(&m), 0);
			write_sysctl("/proc/sys/vm/drop_caches", "3\n");
		}
		ck_assert_int_eq(pread(m.fd, buf, len, 0), (ssize_t)len);
		st.mismatches += pinctl_pattern_check(buf, 0, len, seed, &first);
		mem_destroy(&m);
		st.iterations++;
	}
	free(buf);
	stress_end(&st);
}
END_TEST

/*
 * fork while the device writes: the pinned pages stay the parent's (early
 * COW gives the child copies), the child's writes never reach the pin,
 * and DMA and the parent's CPU stay coherent.
 */
START_TEST(pin_vs_fork)
{
	size_t len = stress_len(stress_kind(_i));
	struct stress st;

	stress_begin(&st, "fork", _i, rows_sharing(pin_vs_fork, _i));
	while (stress_more(&st)) {
		uint64_t h, bad, seed = st.iterations + 1;
		uint64_t word = 0x5a5a5a5a5a5a5a5aULL, back;
		struct test_mem m;
		int status;
		pid_t pid;

		mem_create(&m, stress_kind(_i), len);
		ck_assert_int_eq(pinctl_pin(st.ctx, m.addr, len, PINCTL_PIN_WRITE, &h), 0);
		stress_writer_start(&st, h, len, seed);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			memset(m.addr, 0xee, len);	/* the child's own copy */
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		stress_writer_stop(&st, h, len, seed);
		/* the parent sees what the device wrote, and vice versa */
		bad = pinctl_pattern_check(m.addr, 0, len, seed, NULL);
		st.mismatches += bad;
		memcpy(m.addr + len / 2, &word, sizeof(word));
		ck_assert_int_eq(pinctl_dma_read(st.ctx, h, len / 2, &back,
						 sizeof(back)), 0);
		st.mismatches += back != word;
		ck_assert_int_eq(pinctl_unpin(st.ctx, h, PINCTL_UNPIN_DIRTY), 0);
		mem_destroy(&m);
		st.iterations++;
	}
	stress_end(&st);
}
END_TEST

/*
 * Compaction and 128 MiB of memory pressure once a second until told to
 * stop; in between, the scenario's own loop gets the CPU.
 */
static void *make_pressure(void *arg)
{
	const size_t len = 128UL << 20;
	int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_RELAXED)) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ck_assert_ptr_ne(p, MAP_FAILED);
		memset(p, 1, len);
		munmap(p, len);
		write_sysctl("/proc/sys/vm/compact_memory", "1\n");
		for (int i = 0; i < 10 && !__atomic_load_n(stop, __ATOMIC_RELAXED); i++)
			usleep(100 * 1000);
	}
	return NULL;
}

/*
 * MADV_DONTNEED / MADV_PAGEOUT / MADV_COLD and mremap while the device
 * writes, and while another thread compacts memory and applies memory
 * pressure each second: the pinned pages stay pinned and keep the data.
 */
START_TEST(pin_vs_madvise)
{
	static const int advice[] = { MADV_DONTNEED, MADV_PAGEOUT, MADV_COLD };
	size_t len = stress_len(stress_kind(_i));
	pthread_t pressure;
	struct stress st;
	int stop = 0;

	stress_begin(&st, "madvise", _i, rows_sharing(pin_vs_madvise, _i));
	ck_assert_int_eq(pthread_create(&pressure, NULL, make_pressure, &stop), 0);
	while (stress_more(&st)) {
		uint64_t h, seed = st.iterations + 1, i = st.iterations;
		struct test_mem m;

		mem_create(&m, stress_kind(_i), len);
		ck_assert_int_eq(pinctl_pin(st.ctx, m.addr, len, PINCTL_PIN_WRITE, &h), 0);
		stress_writer_start(&st, h, len, seed);
		if (i % 4 < 3) {
			ck_assert_int_eq(madvise(m.addr, len, advice[i % 4]), 0);
		} else {
			char *moved = mremap(m.addr, len, len, MREMAP_MAYMOVE);

			ck_assert_ptr_ne(moved, MAP_FAILED);
			m.addr = moved;
		}
		assert_all_pinned(&st, h, len, PINCTL_PAGE_PRESENT, -1);
		stress_writer_stop(&st, h, len, seed);
		ck_assert_int_eq(pinctl_unpin(st.ctx, h, PINCTL_UNPIN_DIRTY), 0);
		mem_destroy(&m);
		st.iterations++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_join(pressure, NULL), 0);
	stress_end(&st);
}
END_TEST

struct thread_arg {
	struct stress *st;
	char *buf;
	size_t npages;
	unsigned int seed;
};

/*
 * One of four threads pinning random overlapping ranges of one buffer.
 * All write the pattern of the buffer's own offsets, so overlapping DMA
 * agrees byte for byte and every read-back must match exactly.
 */
static void *pin_randomly(void *p)
{
	static const unsigned int methods[] = {
		PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
	};
	struct thread_arg *a = p;
	size_t max = 16 * PAGE;
	char *want = malloc(max), *got = malloc(max);
	struct pinctl_page page;

	while (stress_more(a->st)) {
		size_t first = rand_r(&a->seed) % a->npages;
		size_t n = 1 + rand_r(&a->seed) % (a->npages - first < 16 ?
						   a->npages - first : 16);
		size_t off = first * PAGE, len = n * PAGE;
		unsigned int flags = PINCTL_PIN_WRITE | methods[rand_r(&a->seed) % 3];
		uint64_t h;

		ck_assert_int_eq(pinctl_pin(a->st->ctx, a->buf + off, len, flags, &h), 0);
		ck_assert_int_eq(pinctl_query(a->st->ctx, h, n - 1, 1, &page), 0);
		ck_assert(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED);
		pinctl_pattern_fill(want, off, len, 7);
		ck_assert_int_eq(pinctl_dma_write(a->st->ctx, h, 0, want, len), 0);
		ck_assert_int_eq(pinctl_dma_read(a->st->ctx, h, 0, got, len), 0);
		if (memcmp(want, got, len))
			__atomic_fetch_add(&a->st->mismatches, 1, __ATOMIC_RELAXED);
		ck_assert_int_eq(pinctl_unpin(a->st->ctx, h,
					      rand_r(&a->seed) % 2 ? PINCTL_UNPIN_DIRTY : 0), 0);
		__atomic_fetch_add(&a->st->iterations, 1, __ATOMIC_RELAXED);
	}
	free(want);
	free(got);
	return NULL;
}

START_TEST(threads_on_one_buffer)
{
	size_t len = _i == MEM_THP ? HUGE : 64 * PAGE;
	struct thread_arg args[4];
	pthread_t threads[4];
	struct stress st;
	struct test_mem m;

	stress_begin(&st, "threads", _i, rows_sharing(threads_on_one_buffer, _i));
	mem_create(&m, stress_kind(_i), len);
	for (int t = 0; t < 4; t++) {
		args[t] = (struct thread_arg){ &st, m.addr, len / PAGE, t + 1 };
		ck_assert_int_eq(pthread_create(&threads[t], NULL, pin_randomly,
						&args[t]), 0);
	}
	for (int t = 0; t < 4; t++)
		ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
	mem_destroy(&m);
	stress_end(&st);
}
END_TEST

/* Whether PINTEST_STRESS_ONLY (names, comma- or space-separated) wants it. */
static int scenario_selected(const char *scenario)
{
	const char *only = getenv("PINTEST_STRESS_ONLY");
	size_t n = strlen(scenario);

	for (const char *p = only; p && *p; p += strcspn(p, ", ")) {
		p += strspn(p, ", ");
		if (!strncmp(p, scenario, n) && strchr(", ", p[n]))
			return 1;
	}
	return !only || !*only;
}

/*
 * Whether PINTEST_STRESS_WRITER ("cpu" or "device"; unset: both) wants
 * the rows whose writer is the device (@device) or the CPU.
 */
static int writer_selected(int device)
{
	const char *only = getenv("PINTEST_STRESS_WRITER");

	if (!only || !*only)
		return 1;
	return !strcmp(only, device ? "device" : "cpu");
}

/*
 * @kinds, pinned by address, or by file offset with STRESS_BY_FILE in
 * @how; written by the device with STRESS_ON_DEVICE.
 */
static void add_kinds(struct pt_run *run, TCase *tc, const TTest *test,
		      const char *scenario, const enum mem_kind *kinds, int n,
		      int how, const char *nodev)
{
	const char *noedu = how & STRESS_ON_DEVICE ? pt_edu_missing() : NULL;
	const char *nomemfd = how & STRESS_BY_FILE ? pt_memfd_pin_missing() : NULL;
	char label[48];

	if (!scenario_selected(scenario) ||
	    !writer_selected(how & STRESS_ON_DEVICE))
		return;
	for (int i = 0; i < n; i++) {
		int k = kinds[i] + how;

		snprintf(label, sizeof(label), "%s%s", mem_name(kinds[i]),
			 stress_how(k));
		pt_add(run, tc, test, k, k + 1, label,
		       nodev ?: nomemfd ?: noedu ?: mem_unavailable(kinds[i]));
	}
}

#define ADD_KINDS_HOW(run, tc, test, scenario, how, nodev, ...) do {	\
	static const enum mem_kind kinds_[] = { __VA_ARGS__ };			\
	add_kinds(run, tc, test, scenario, kinds_,				\
		  sizeof(kinds_) / sizeof(kinds_[0]), how, nodev);		\
} while (0)
#define ADD_KINDS(run, tc, test, scenario, nodev, ...) \
	ADD_KINDS_HOW(run, tc, test, scenario, 0, nodev, __VA_ARGS__)
/* shmem and hugetlbfs files, pinned as udmabuf pins them */
#define ADD_BY_FILE(run, tc, test, scenario, nodev) \
	ADD_KINDS_HOW(run, tc, test, scenario, STRESS_BY_FILE, nodev, \
		      MEM_MEMFD, MEM_TMPFS, MEM_TMPFS_HUGE)
/* the real device writes, through the DMA API: kinds of four pages */
#define ADD_ON_DEVICE(run, tc, test, scenario, nodev, ...) \
	ADD_KINDS_HOW(run, tc, test, scenario, STRESS_ON_DEVICE, nodev, __VA_ARGS__)

Suite *suite_stress(struct pt_run *run)
{
	const char *nodev = pt_device_missing() ?:
			    (getuid() ? "needs root (drop_caches, compaction)" : NULL);
	TCase *tc;
	Suite *s = pt_suite(run, suite_name, stress_timeout(), &tc);

	ADD_KINDS(run, tc, pin_vs_munmap, "munmap", nodev, MEM_ANON, MEM_THP,
		  MEM_HUGETLB, MEM_MTHP_ORDER2, MEM_MTHP_ORDER4, MEM_MEMFD, MEM_TMPFS,
		  MEM_EXT4, MEM_XFS, MEM_TMPFS_HUGE, MEM_XFS_LARGE, MEM_EXT4_LARGE);
	ADD_KINDS(run, tc, pin_vs_truncate, "truncate", nodev, MEM_MEMFD,
		  MEM_TMPFS, MEM_EXT4, MEM_XFS, MEM_TMPFS_HUGE, MEM_XFS_LARGE,
		  MEM_EXT4_LARGE);
	ADD_BY_FILE(run, tc, pin_vs_truncate, "truncate", nodev);
	ADD_KINDS(run, tc, pin_vs_writeback, "writeback", nodev, MEM_MEMFD,
		  MEM_TMPFS, MEM_EXT4, MEM_XFS, MEM_TMPFS_HUGE, MEM_XFS_LARGE,
		  MEM_EXT4_LARGE);
	ADD_BY_FILE(run, tc, pin_vs_writeback, "writeback", nodev);
	ADD_KINDS(run, tc, pin_vs_fork, "fork", nodev, MEM_ANON, MEM_THP,
		  MEM_HUGETLB, MEM_MTHP_ORDER2, MEM_MTHP_ORDER4);
	ADD_KINDS(run, tc, pin_vs_madvise, "madvise", nodev, MEM_ANON, MEM_THP,
		  MEM_MTHP_ORDER2, MEM_MTHP_ORDER4, MEM_MEMFD, MEM_TMPFS, MEM_EXT4, MEM_XFS,
		  MEM_TMPFS_HUGE, MEM_XFS_LARGE, MEM_EXT4_LARGE);
	ADD_KINDS(run, tc, threads_on_one_buffer, "threads", nodev, MEM_ANON,
		  MEM_THP, MEM_MTHP_ORDER4);
	ADD_ON_DEVICE(run, tc, pin_vs_munmap, "munmap", nodev, MEM_ANON, MEM_EXT4);
	ADD_ON_DEVICE(run, tc, pin_vs_truncate, "truncate", nodev, MEM_MEMFD,
		      MEM_EXT4, MEM_XFS);
	ADD_ON_DEVICE(run, tc, pin_vs_writeback, "writeback", nodev, MEM_EXT4,
		      MEM_XFS);
	ADD_ON_DEVICE(run, tc, pin_vs_fork, "fork", nodev, MEM_ANON);
	return s;
}
