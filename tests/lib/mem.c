// SPDX-License-Identifier: GPL-2.0
/*
 * Memory factories: the same test runs on anonymous memory of small
 * folios, folios of 4 and 16 pages (mTHP) and PMD-sized ones (THP,
 * hugetlb: 2 MiB on 4 KiB pages, 32 MiB on 16 KiB), on
 * memfd, tmpfs and real ext4 and xfs files of small folios, and on files
 * of large folios (tmpfs huge=always, xfs and ext4 written in one go).
 * File memory is a MAP_SHARED mapping whose blocks write() allocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

static const char *const names[MEM_KINDS] = {
	[MEM_ANON] = "anon", [MEM_THP] = "thp", [MEM_HUGETLB] = "hugetlb",
	[MEM_MTHP_ORDER2] = "mthp-order2", [MEM_MTHP_ORDER4] = "mthp-order4",
	[MEM_MEMFD] = "memfd", [MEM_TMPFS] = "tmpfs", [MEM_EXT4] = "ext4",
	[MEM_XFS] = "xfs", [MEM_TMPFS_HUGE] = "tmpfs-huge",
	[MEM_XFS_LARGE] = "xfs-large", [MEM_EXT4_LARGE] = "ext4-large",
};

static const char *const dir_vars[MEM_KINDS] = {
	[MEM_TMPFS] = "PINTEST_TMPFS_DIR", [MEM_EXT4] = "PINTEST_EXT4_DIR",
	[MEM_XFS] = "PINTEST_XFS_DIR", [MEM_TMPFS_HUGE] = "PINTEST_TMPFS_HUGE_DIR",
	[MEM_XFS_LARGE] = "PINTEST_XFS_DIR", [MEM_EXT4_LARGE] = "PINTEST_EXT4_DIR",
};

#define MTHP_DIR "/sys/kernel/mm/transparent_hugepage/hugepages-%zukB/enabled"

const char *mem_name(enum mem_kind kind)
{
	return names[kind];
}

int mem_is_file(enum mem_kind kind)
{
	return kind >= MEM_MEMFD;
}

/* The size of the folios @kind is made of (PAGE: small folios). */
size_t mem_folio(enum mem_kind kind)
{
	switch (kind) {
	case MEM_THP:
	case MEM_TMPFS_HUGE:
		return HUGE;
	case MEM_HUGETLB:
		return util_hugetlb_size();
	case MEM_MTHP_ORDER2:
		return 4 * PAGE;
	case MEM_MTHP_ORDER4:
	case MEM_XFS_LARGE:
	case MEM_EXT4_LARGE:
		return 16 * PAGE;
	default:
		return PAGE;
	}
}

/*
 * Whether every folio of @kind is exactly mem_folio() large: a file
 * system chooses the size of its large folios itself (at least order 2).
 */
int mem_folio_exact(enum mem_kind kind)
{
	return kind != MEM_XFS_LARGE && kind != MEM_EXT4_LARGE;
}

/* The unit a test allocates @kind in: one folio. */
size_t mem_unit(enum mem_kind kind)
{
	return mem_folio(kind);
}


const char *mem_unavailable(enum mem_kind kind)
{
	char buf[64] = "", path[128];
	FILE *f;

	switch (kind) {
	case MEM_THP:
		f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
		if (!f)
			return "the kernel has no transparent huge pages";
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		return strstr(buf, "[never]") ? "THP is disabled ([never])" : NULL;
	case MEM_HUGETLB:
		return procfs_read_long("/proc/sys/vm/nr_hugepages") > 0 ? NULL :
		       "no huge pages reserved (vm.nr_hugepages is 0)";
	case MEM_MTHP_ORDER2:
	case MEM_MTHP_ORDER4:
		snprintf(path, sizeof(path), MTHP_DIR, mem_folio(kind) >> 10);
		if (access(path, W_OK))
			return "the kernel has no multi-size THP (6.8+), or we are not root";
		return mem_unavailable(MEM_THP);
	case MEM_EXT4_LARGE:
		if (pt_running_kernel() < (6 << 16 | 16 << 8))
			return "ext4 has no large folios before 6.16";
		return mem_unavailable(MEM_EXT4);
	case MEM_XFS_LARGE:
		/* 6.1 reads into large folios, but writes small ones */
		if (pt_running_kernel() < (6 << 16 | 6 << 8))
			return "xfs writes no large folios before 6.6";
		return mem_unavailable(MEM_XFS);
	case MEM_TMPFS:
	case MEM_EXT4:
	case MEM_XFS:
	case MEM_TMPFS_HUGE:
		return getenv(dir_vars[kind]) ? NULL :
		       "its scratch directory is not set (run through vm/pintest-vm)";
	default:
		return NULL;
	}
}

/*
 * @len bytes of anonymous memory aligned to @align, in a mapping of its
 * own, for huge folios of that size (@huge: MADV_HUGEPAGE) or small ones
 * only (MADV_NOHUGEPAGE); not touched.
 */
char *mem_map_anon(size_t len, size_t align, int huge)
{
	char *raw = mmap(NULL, len + 2 * align, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	ck_assert_ptr_ne(raw, MAP_FAILED);
	/* a hole left on each side keeps the VMA apart from others */
	p = (char *)(((uintptr_t)raw + align + align - 1) & ~(align - 1));
	munmap(raw, p - raw);
	munmap(p + len, raw + len + 2 * align - (p + len));
	ck_assert_int_eq(madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE), 0);
	return p;
}

/*
 * Anonymous memory of @folio-sized folios: that size alone enabled for
 * MADV_HUGEPAGE while the memory faults in (mem_create), the others as
 * they were; what the sysfs file said is put back in @saved.
 */
static char *map_mthp(size_t len, size_t folio, char *saved, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), MTHP_DIR, folio >> 10);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(saved, n, f));
	fclose(f);
	ck_assert_int_eq(procfs_write(path, "madvise"), 0);
	return mem_map_anon(len, folio, 1);
}

/* Puts back the setting map_mthp() changed: the bracketed word of @saved. */
static void mthp_restore(size_t folio, const char *saved)
{
	char path[128], word[32] = "never";
	const char *open = strchr(saved, '[');

	snprintf(path, sizeof(path), MTHP_DIR, folio >> 10);
	if (open)
		sscanf(open + 1, "%31[a-z]", word);
	ck_assert_int_eq(procfs_write(path, word), 0);
}

/*
 * A file whose blocks write() allocated: a page per write, so that the
 * cache holds small folios, or all in one write for the large kinds.
 */
static int open_file(struct test_mem *m, size_t len)
{
	size_t chunk = mem_folio(m->kind) > PAGE ? len : PAGE;
	char *zeros = calloc(1, chunk);
	int fd;

	ck_assert_ptr_nonnull(zeros);

	if (m->kind == MEM_MEMFD) {
		fd = memfd_create("pintest", MFD_CLOEXEC);
	} else {
		snprintf(m->path, sizeof(m->path), "%s/pintest.%d.XXXXXX",
			 getenv(dir_vars[m->kind]), getpid());
		fd = mkstemp(m->path);
	}
	ck_assert_msg(fd >= 0, "%s file: %s", mem_name(m->kind), strerror(errno));
	for (size_t off = 0; off < len; off += chunk)
		ck_assert_int_eq(pwrite(fd, zeros, chunk, off), (ssize_t)chunk);
	free(zeros);
	return fd;
}

void mem_create(struct test_mem *m, enum mem_kind kind, size_t len)
{
	char mthp_saved[128] = "";

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->len = len;
	m->fd = -1;

	switch (kind) {
	case MEM_ANON:
		m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* small folios only, whatever the THP policy */
		if (m->addr != MAP_FAILED)
			madvise(m->addr, len, MADV_NOHUGEPAGE);
		break;
	case MEM_THP:
		m->addr = mem_map_anon(len, HUGE, 1);
		break;
	case MEM_HUGETLB:
		m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		break;
	case MEM_MTHP_ORDER2:
	case MEM_MTHP_ORDER4:
		m->addr = map_mthp(len, mem_folio(kind), mthp_saved,
				   sizeof(mthp_saved));
		break;
	default:
		m->fd = open_file(m, len);
		m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			       m->fd, 0);
		break;
	}
	ck_assert_msg(m->addr != MAP_FAILED, "mmap %s: %s", mem_name(kind),
		      strerror(errno));
	/* fault everything in, writable; it is all zeroes already */
	for (size_t off = 0; off < len; off += PAGE)
		((volatile char *)m->addr)[off] = 0;
	if (mthp_saved[0])
		mthp_restore(mem_folio(kind), mthp_saved);
}

/*
 * Unmaps @m's memory, once: mem_destroy() must not unmap it again, for by
 * then the range may be another mapping's (seen: ASan's stack depot).
 * @m->len stays: a file's length.
 */
int mem_unmap(struct test_mem *m)
{
	int ret = munmap(m->addr, m->len);

	m->addr = NULL;
	return ret;
}

void mem_destroy(struct test_mem *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->path[0])
		unlink(m->path);
}

/*
 * The first @len bytes of @m's file on the disk (O_DIRECT, past the page
 * cache) are the pattern of @seed: 0, or -1 with what was not in @why.
 */
int mem_check_disk(const struct test_mem *m, size_t len, uint64_t seed,
		      char *why, size_t size)
{
	int fd = open(m->path, O_RDONLY | O_DIRECT);
	uint64_t bad = 0, first = 0;
	void *buf = NULL;
	ssize_t got = -1;

	if (fd >= 0 && !posix_memalign(&buf, PAGE, len)) {
		got = pread(fd, buf, len, 0);
		if (got == (ssize_t)len)
			bad = pinctl_pattern_check(buf, 0, len, seed, &first);
	}
	if (got != (ssize_t)len)
		snprintf(why, size, "O_DIRECT read of %s: %zd of %zu bytes: %s",
			 m->path, got, len, strerror(errno));
	else if (bad)
		snprintf(why, size, "%s: %llu bytes on the disk are not the device's, "
			 "from offset %llu", mem_name(m->kind),
			 (unsigned long long)bad, (unsigned long long)first);
	free(buf);
	if (fd >= 0)
		close(fd);
	return why[0] ? -1 : 0;
}
