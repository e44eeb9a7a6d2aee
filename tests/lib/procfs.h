/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing the one-number files of procfs, sysfs and debugfs
 * (sysctls, module parameters, fail-nth), this process's VmPin and the
 * flags of its VMAs.  No Check here: the standalone fuzzer, sweep and
 * benchmark use it too.
 */
#ifndef PROCFS_H
#define PROCFS_H

long procfs_read_long(const char *path);	/* -1 when unreadable */
int procfs_write(const char *path, const char *value);	/* 0 or -errno */
int procfs_write_long(const char *path, long value);
long procfs_vmpin_kb(void);			/* -1 when unreadable */
int procfs_vma_flag(const void *addr, const char *flag);
long procfs_vma_kb(const void *addr, const char *field);
long procfs_zone(const char *zone, const char *field);	/* pages, or -errno */

#endif /* PROCFS_H */
