// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI itself, checked without the module: struct sizes and offsets
 * never change, the FILL/VERIFY pattern is splitmix64, and each pin
 * method has its one name.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <linux/pintest.h>

#include "pt.h"

START_TEST(struct_layout)
{
	ck_assert_uint_eq(sizeof(struct pintest_info), 56);
	ck_assert_uint_eq(offsetof(struct pintest_info, out_device_path), 48);
	ck_assert_uint_eq(offsetof(struct pintest_info, out_longterm_methods), 40);
	ck_assert_uint_eq(sizeof(struct pintest_pin), 48);
	ck_assert_uint_eq(offsetof(struct pintest_pin, out_pin_ns), 40);
	ck_assert_uint_eq(offsetof(struct pintest_pin, out_npages), 32);
	ck_assert_uint_eq(offsetof(struct pintest_pin, addr), 8);
	ck_assert_uint_eq(offsetof(struct pintest_pin, out_handle), 24);
	ck_assert_uint_eq(offsetof(struct pintest_pin, pidfd), 28);
	ck_assert_uint_eq(sizeof(struct pintest_page), 32);
	ck_assert_uint_eq(offsetof(struct pintest_page, zone), 28);
	ck_assert_uint_eq(sizeof(struct pintest_query), 40);
	ck_assert_uint_eq(offsetof(struct pintest_query, pages), 32);
	ck_assert_uint_eq(sizeof(struct pintest_probe), 40);
	ck_assert_uint_eq(sizeof(struct pintest_unpin), 24);
	ck_assert_uint_eq(offsetof(struct pintest_unpin, out_unpin_ns), 16);
	ck_assert_uint_eq(sizeof(struct pintest_dma), 64);
	ck_assert_uint_eq(offsetof(struct pintest_dma, seed), 40);
	ck_assert_uint_eq(sizeof(struct pintest_stats), 72);
	ck_assert_uint_eq(offsetof(struct pintest_stats, bookkeeping_bytes), 64);
	ck_assert_uint_eq(sizeof(struct pintest_dma_start), 48);
	ck_assert_uint_eq(offsetof(struct pintest_dma_start, count), 40);
	ck_assert_uint_eq(sizeof(struct pintest_dma_stop), 32);
	ck_assert_uint_eq(sizeof(struct pintest_pin_memfd), 64);
	ck_assert_uint_eq(offsetof(struct pintest_pin_memfd, fd), 8);
	ck_assert_uint_eq(offsetof(struct pintest_pin_memfd, offset), 16);
	ck_assert_uint_eq(offsetof(struct pintest_pin_memfd, out_handle), 32);
	ck_assert_uint_eq(offsetof(struct pintest_pin_memfd, out_nfolios), 56);
	ck_assert_uint_eq(PINTEST_CMD_PIN_MEMFD, 0x49);
	ck_assert_uint_eq(sizeof(struct pintest_device_map), 32);
	ck_assert_uint_eq(offsetof(struct pintest_device_map, out_bus_addr), 24);
	ck_assert_uint_eq(sizeof(struct pintest_device_dma), 72);
	ck_assert_uint_eq(offsetof(struct pintest_device_dma, out_transfers), 64);
	ck_assert_uint_eq(sizeof(struct pintest_device_unmap), 16);
	ck_assert_uint_eq(PINTEST_CMD_DEVICE_UNMAP, 0x4c);
	ck_assert_uint_eq(sizeof(struct pinctl_page), sizeof(struct pintest_page));
}
END_TEST

START_TEST(pattern_is_splitmix64)
{
	/* the first two outputs of splitmix64 seeded with 0 */
	ck_assert_uint_eq(pintest_pattern(0, 0), 0xe220a8397b1dcdafULL);
	ck_assert_uint_eq(pintest_pattern(0, 1), 0x6e789e6aa1b965f4ULL);
}
END_TEST

START_TEST(pattern_fill_and_check_agree)
{
	unsigned char buf[100];
	uint64_t first;

	/* an unaligned start and end: every byte is its word's byte */
	pinctl_pattern_fill(buf, 13, sizeof(buf), 7);
	for (size_t i = 0; i < sizeof(buf); i++) {
		uint64_t pos = 13 + i;

		ck_assert_uint_eq(buf[i], (pintest_pattern(7, pos / 8) >>
					   (8 * (pos % 8))) & 0xff);
	}
	ck_assert_uint_eq(pinctl_pattern_check(buf, 13, sizeof(buf), 7, &first), 0);
	ck_assert_uint_eq(first, UINT64_MAX);
	buf[50] ^= 1;
	ck_assert_uint_eq(pinctl_pattern_check(buf, 13, sizeof(buf), 7, &first), 1);
	ck_assert_uint_eq(first, 63);
	/* bytes are counted, not words: three more, in the head and one word */
	buf[0] ^= 1, buf[51] ^= 1, buf[52] ^= 1;
	ck_assert_uint_eq(pinctl_pattern_check(buf, 13, sizeof(buf), 7, &first), 4);
	ck_assert_uint_eq(first, 13);
	ck_assert_uint_ne(pinctl_pattern_check(buf, 13, sizeof(buf), 8, NULL), 0);
}
END_TEST

/* Each method's name is its flag's, PINCTL_PIN_ cut off, in lower case. */
#define METHOD(m) { PINCTL_PIN_##m, #m }

START_TEST(method_names_and_flags)
{
	static const struct {
		unsigned int flag;
		const char *upper;
	} methods[] = {
		METHOD(FAST), METHOD(LOCKED), METHOD(UNLOCKED), METHOD(MEMFD),
		METHOD(REMOTE),
	};
	const size_t n = sizeof(methods) / sizeof(methods[0]);
	unsigned int flag;

	for (size_t i = 0; i < n; i++) {
		const char *name = pinctl_method_name(methods[i].flag);
		char want[16] = "";

		for (size_t c = 0; methods[i].upper[c]; c++)
			want[c] = tolower((unsigned char)methods[i].upper[c]);
		ck_assert_ptr_nonnull(name);
		ck_assert_str_eq(name, want);
		flag = 0;
		ck_assert_int_eq(pinctl_method_flag(name, &flag), 0);
		ck_assert_uint_eq(flag, methods[i].flag);
		/* WRITE and LONGTERM are not methods */
		ck_assert_str_eq(pinctl_method_name(methods[i].flag | PINCTL_PIN_WRITE |
						    PINCTL_PIN_LONGTERM), name);
		for (size_t j = 0; j < n; j++) {
			if (j != i)
				ck_assert_ptr_null(pinctl_method_name(methods[i].flag |
								      methods[j].flag));
		}
	}
	/* no method is FAST, pinctl_pin()'s default */
	ck_assert_str_eq(pinctl_method_name(0), pinctl_method_name(PINCTL_PIN_FAST));
	ck_assert_str_eq(pinctl_method_name(PINCTL_PIN_WRITE), pinctl_method_name(0));
	ck_assert_ptr_null(pinctl_method_name(1U << 7));
	ck_assert_ptr_null(pinctl_method_name(PINCTL_PIN_FAST | 1U << 31));
	/* a name is one method's, exactly; *flag is left as it was */
	flag = 12345;
	ck_assert_int_eq(pinctl_method_flag("slow", &flag), -EINVAL);
	ck_assert_int_eq(pinctl_method_flag("", &flag), -EINVAL);
	ck_assert_int_eq(pinctl_method_flag("FAST", &flag), -EINVAL);
	ck_assert_int_eq(pinctl_method_flag("fast ", &flag), -EINVAL);
	ck_assert_int_eq(pinctl_method_flag("fast,locked", &flag), -EINVAL);
	ck_assert_uint_eq(flag, 12345);
}
END_TEST

Suite *suite_uapi(struct pt_run *run)
{
	TCase *tc;
	Suite *s = pt_suite(run, "uapi", 10, &tc);


	PT_ADD(run, tc, struct_layout, NULL);
	PT_ADD(run, tc, pattern_is_splitmix64, NULL);
	PT_ADD(run, tc, pattern_fill_and_check_agree, NULL);
	PT_ADD(run, tc, method_names_and_flags, NULL);
	return s;
}
