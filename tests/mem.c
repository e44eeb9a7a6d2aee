// SPDX-License-Identifier: GPL-2.0
/*
 * Memory factories: the same test runs on anonymous memory, THP, hugetlb,
 * memfd, a tmpfs file and files on real ext4 and xfs.  File memory is a
 * MAP_SHARED mapping whose blocks are allocated by write() first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

static const char *const names[MEM_KINDS] = {
	[MEM_ANON] = "anon", [MEM_THP] = "thp", [MEM_HUGETLB] = "hugetlb",
	[MEM_MEMFD] = "memfd", [MEM_TMPFS] = "tmpfs", [MEM_EXT4] = "ext4",
	[MEM_XFS] = "xfs",
};

static const char *const dir_vars[MEM_KINDS] = {
	[MEM_TMPFS] = "PINTEST_TMPFS_DIR", [MEM_EXT4] = "PINTEST_EXT4_DIR",
	[MEM_XFS] = "PINTEST_XFS_DIR",
};

const char *mem_name(enum mem_kind kind)
{
	return names[kind];
}

int mem_is_file(enum mem_kind kind)
{
	return kind >= MEM_MEMFD;
}

size_t mem_unit(enum mem_kind kind)
{
	return kind == MEM_THP || kind == MEM_HUGETLB ? HUGE : PAGE;
}

const char *mem_unavailable(enum mem_kind kind)
{
	char buf[64] = "";
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
	case MEM_TMPFS:
	case MEM_EXT4:
	case MEM_XFS:
		return getenv(dir_vars[kind]) ? NULL :
		       "its scratch directory is not set (run through tools/pintest-vm)";
	default:
		return NULL;
	}
}

static char *map_thp(size_t len)
{
	char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	ck_assert_ptr_ne(raw, MAP_FAILED);
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + HUGE - p);
	ck_assert_int_eq(madvise(p, len, MADV_HUGEPAGE), 0);
	return p;
}

static int open_file(struct test_mem *m, size_t len)
{
	char *zeros = calloc(1, PAGE);
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
	for (size_t off = 0; off < len; off += PAGE)
		ck_assert_int_eq(pwrite(fd, zeros, PAGE, off), (ssize_t)PAGE);
	free(zeros);
	return fd;
}

void mem_create(struct test_mem *m, enum mem_kind kind, size_t len)
{
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
		m->addr = map_thp(len);
		break;
	case MEM_HUGETLB:
		m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
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
}

void mem_destroy(struct test_mem *m)
{
	munmap(m->addr, m->len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->path[0])
		unlink(m->path);
}
