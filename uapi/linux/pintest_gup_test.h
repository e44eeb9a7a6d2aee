/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctl ABI of /sys/kernel/debug/gup_test, as the kernel's
 * mm/gup_test.h defines it (6.1 to 7.3: the same numbers and layout;
 * the PIN_LONGTERM_TEST ioctls since 6.2), which pintest provides on
 * kernels built without CONFIG_GUP_TEST (module parameter gup_test).
 * Not pintest's own ABI: it follows the kernel's.
 */
#ifndef _UAPI_LINUX_PINTEST_GUP_TEST_H
#define _UAPI_LINUX_PINTEST_GUP_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GUP_FAST_BENCHMARK	_IOWR('g', 1, struct gup_test)
#define PIN_FAST_BENCHMARK	_IOWR('g', 2, struct gup_test)
#define PIN_LONGTERM_BENCHMARK	_IOWR('g', 3, struct gup_test)
#define GUP_BASIC_TEST		_IOWR('g', 4, struct gup_test)
#define PIN_BASIC_TEST		_IOWR('g', 5, struct gup_test)
#define DUMP_USER_PAGES_TEST	_IOWR('g', 6, struct gup_test)
#define PIN_LONGTERM_TEST_START	_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP	_IO('g', 8)
#define PIN_LONGTERM_TEST_READ	_IOW('g', 9, __u64)

#define GUP_TEST_MAX_PAGES_TO_DUMP		8

#define GUP_TEST_FLAG_DUMP_PAGES_USE_PIN	0x1

/**
 * struct gup_test - one benchmark or test request
 * @get_delta_usec: out: microseconds the pages took to get or pin
 * @put_delta_usec: out: microseconds they took to put or unpin
 * @addr: the user address
 * @size: bytes; out: bytes the requests covered
 * @nr_pages_per_call: pages per get_user_pages*() or pin_user_pages*() call
 * @gup_flags: FOLL_* flags, in the running kernel's numbering
 * @test_flags: %GUP_TEST_FLAG_DUMP_PAGES_USE_PIN
 * @which_pages: DUMP_USER_PAGES_TEST: 1-based page numbers to dump, 0 none
 */
struct gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	__u32 which_pages[GUP_TEST_MAX_PAGES_TO_DUMP];
};

#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define PIN_LONGTERM_TEST_FLAG_USE_FAST		2

/**
 * struct pin_longterm_test - PIN_LONGTERM_TEST_START
 * @addr: page-aligned user address
 * @size: page-aligned bytes, at least a page
 * @flags: PIN_LONGTERM_TEST_FLAG_*
 */
struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

#endif /* _UAPI_LINUX_PINTEST_GUP_TEST_H */
