// SPDX-License-Identifier: GPL-2.0
/* One-number files of procfs, sysfs and debugfs; see procfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

long procfs_read_long(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

int procfs_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int procfs_write_long(const char *path, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", value);
	return procfs_write(path, buf);
}

long procfs_vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * The line of /proc/self/smaps that starts with @field ("VmFlags:",
 * "AnonHugePages:") in the VMA holding @addr, into @line: 0, -ENOENT
 * without that VMA or line, or -errno.
 */
static int vma_line(const void *addr, const char *field, char *line, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, a = (unsigned long)addr;
	int in = 0, ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, size, f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {	/* a VMA's first line */
			in = a >= start && a < end;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Whether the VMA holding @addr has @flag among its VmFlags in
 * /proc/self/smaps ("io", "pf", ...): 1 or 0, -ENOENT without that VMA.
 */
int procfs_vma_flag(const void *addr, const char *flag)
{
	char line[512], want[8];
	int ret = vma_line(addr, "VmFlags:", line, sizeof(line));

	if (ret)
		return ret;
	snprintf(want, sizeof(want), " %s", flag);
	return strstr(line + 8, want) != NULL;
}

/*
 * The kB of @field ("AnonHugePages", "Rss") in /proc/self/smaps for the
 * VMA holding @addr, or -errno (-ENOENT without that VMA or field).
 */
long procfs_vma_kb(const void *addr, const char *field)
{
	char line[512], want[64];
	long kb;
	int ret;

	snprintf(want, sizeof(want), "%s:", field);
	ret = vma_line(addr, want, line, sizeof(line));
	if (ret)
		return ret;
	return sscanf(line + strlen(want), " %ld kB", &kb) == 1 ? kb : -EINVAL;
}

/*
 * The sum over all nodes of @field ("managed", "nr_free_pages", "high") of
 * the zone @name in /proc/zoneinfo: pages, or -errno.
 */
long procfs_zone(const char *name, const char *field)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256], zone[32], key[32];
	long sum = 0, n;
	int in = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d, zone %31s", zone) == 1)
			in = !strcmp(zone, name);
		else if (in && sscanf(line, " %31s %ld", key, &n) == 2 && !strcmp(key, field))
			sum += n;
	}
	fclose(f);
	return sum;
}
