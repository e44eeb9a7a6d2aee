// SPDX-License-Identifier: GPL-2.0
/* Helpers the test programs share; see util.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

size_t util_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * The kernel's hpage_pmd_size; without THP, what a PMD maps all the same:
 * a page table of one page of 8-byte entries, each mapping a page.
 */
size_t util_pmd_size(void)
{
	unsigned long size = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");

	if (f) {
		if (fscanf(f, "%lu", &size) != 1)
			size = 0;
		fclose(f);
	}
	return size ? size : PAGE / 8 * PAGE;
}

size_t util_hugetlb_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? kb << 10 : util_pmd_size();
}

double util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The number in environment variable @name, or @fallback if unset. */
double util_env_num(const char *name, double fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtod(v, NULL) : fallback;
}

long util_env_long(const char *name, long fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : fallback;
}

/* Whether uapi/linux/pintest.h documents @err for some ioctl. */
int util_errno_documented(int err)
{
	switch (err) {
	case ENOTTY: case EFAULT: case EINVAL: case E2BIG: case ENOENT:
	case EOVERFLOW: case ENOMEM: case ENOSPC: case EINTR: case EBUSY:
	case ERANGE: case EPERM: case EBADF: case EOPNOTSUPP:	/* PIN_MEMFD */
	case ESRCH:						/* REMOTE */
	case ENODEV: case ETIMEDOUT: case EIO:			/* DEVICE_* */
		return 1;
	}
	return 0;
}

size_t util_span_of(const void *buf, size_t len, int c)
{
	const unsigned char *p = buf;
	size_t i = 0;

	while (i < len && p[i] == (unsigned char)c)
		i++;
	return i;
}

int util_pidfd_open(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

/* A child forked, opened by pidfd, then let exit and reaped. */
int util_pidfd_of_reaped_child(void)
{
	int pipefd[2], fd, status;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(pipefd[1]);
		_exit(read(pipefd[0], &c, 1) == 0 ? 0 : 1);
	}
	close(pipefd[0]);
	fd = util_pidfd_open(pid);
	close(pipefd[1]);
	if (waitpid(pid, &status, 0) != pid && fd >= 0) {
		close(fd);
		fd = -ECHILD;
	}
	return fd;
}
