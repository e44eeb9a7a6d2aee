/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching the kernel log from a test: open /dev/kmsg at its end, mark
 * where a case begins, and later count (and print) the complaints logged
 * since; what a complaint is, vm/kernel-reports says.  No Check here,
 * so the standalone fuzzer uses it too.
 */
#ifndef KMSG_H
#define KMSG_H

int kmsg_open(void);
void kmsg_mark(int fd, const char *text);
int kmsg_reports(int fd, const char *who);

int kmsg_wait_iommu_fault(int fd, double seconds);

#endif /* KMSG_H */
