/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every pintest test program shares, without Check: the page and
 * huge page sizes of the running kernel, a clock, environment knobs, and
 * the errno values the uapi documents.  The suites, fuzzer, sweep and benchmark use it.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <sys/types.h>

size_t util_page_size(void);
/* the page size: read at run time, never assumed to be 4 KiB */
#define PAGE util_page_size()
size_t util_pmd_size(void);
/* what a PMD maps, the size of a THP: 2 MiB on 4 KiB pages, 32 MiB on 16 KiB */
#define HUGE util_pmd_size()
/* the default hugetlb page size (Hugepagesize in /proc/meminfo) */
size_t util_hugetlb_size(void);
double util_now(void);			/* seconds, CLOCK_MONOTONIC */
double util_env_num(const char *name, double fallback);
long util_env_long(const char *name, long fallback);
int util_errno_documented(int err);	/* a positive errno */
/* how many bytes at the start of @buf are @c: @len when all are */
size_t util_span_of(const void *buf, size_t len, int c);
/* pidfd_open(2): a descriptor, or -errno */
int util_pidfd_open(pid_t pid);
/* the pidfd of a process that is gone (exited and reaped), or -errno */
int util_pidfd_of_reaped_child(void);

#endif /* UTIL_H */
