// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated device: it reads and writes the pinned pages through
 * kmap_local_page(), as a DMA engine would through their physical
 * addresses, without any help from the page tables of the process.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

/* @pos is the byte offset of @dst from the start of the range. */
static void pintest_pattern_fill(u8 *dst, u64 pos, size_t n, u64 seed)
{
	while (n) {
		u64 word = pintest_pattern(seed, pos / 8);

		if (pos % 8 == 0 && n >= 8) {
			put_unaligned_le64(word, dst);
			dst += 8, pos += 8, n -= 8;
		} else {
			*dst++ = word >> (8 * (pos % 8));
			pos++, n--;
		}
	}
}

static void pintest_pattern_verify(const u8 *src, u64 pos, size_t n,
				   struct pintest_walk *walk)
{
	u64 seed = walk->seed;

	while (n) {
		u64 word = pintest_pattern(seed, pos / 8);
		u8 want = word >> (8 * (pos % 8));

		/* whole words first; a differing word is checked bytewise */
		if (pos % 8 == 0 && n >= 8 && get_unaligned_le64(src) == word) {
			src += 8, pos += 8, n -= 8;
			continue;
		}
		if (*src != want) {
			if (!walk->mismatches++)
				walk->first_mismatch = pos;
		}
		src++, pos++, n--;
	}
}

/*
 * One step of @walk on the bytes at @kaddr: @n of them, which lie @pos
 * bytes from the start of the range and @done bytes into the walk.  The
 * CPU device moves them in a page, the real one in its own buffer.
 */
int pintest_walk_step(u8 *kaddr, u64 pos, size_t n, u64 done,
		      struct pintest_walk *walk)
{
	unsigned long left = 0;

	switch (walk->op) {
	case PINTEST_DMA_WRITE:
		left = copy_from_user(kaddr, walk->buf + done, n);
		break;
	case PINTEST_DMA_READ:
		left = copy_to_user(walk->buf + done, kaddr, n);
		break;
	case PINTEST_DMA_FILL:
		pintest_pattern_fill(kaddr, pos, n, walk->seed);
		break;
	case PINTEST_DMA_VERIFY:
		pintest_pattern_verify(kaddr, pos, n, walk);
		break;
	}
	return left ? -EFAULT : 0;
}

/* WRITE and FILL write memory; READ and VERIFY read it. */
bool pintest_walk_writes(const struct pintest_walk *walk)
{
	return walk->op == PINTEST_DMA_WRITE || walk->op == PINTEST_DMA_FILL;
}

/* One page's share of the walk: @n bytes at @in_page. */
static int pintest_dma_page(struct page *page, size_t in_page, u64 pos,
			    size_t n, u64 done, struct pintest_walk *walk)
{
	u8 *kaddr = kmap_local_page(page);
	int ret = pintest_walk_step(kaddr + in_page, pos, n, done, walk);

	if (pintest_walk_writes(walk))
		flush_dcache_page(page);
	kunmap_local(kaddr);
	return ret;
}

/* Walks the span of @range that @walk names, page by page. */
static int pintest_walk_pages(struct pintest_range *range,
			      struct pintest_walk *walk)
{
	struct pintest_cursor pages;
	u64 done = 0;
	int ret = 0;

	pintest_range_seek(range, walk->offset >> PAGE_SHIFT, &pages);
	while (done < walk->length) {
		u64 pos = walk->offset + done;
		size_t in_page = offset_in_page(pos);
		size_t n = min_t(u64, PAGE_SIZE - in_page, walk->length - done);

		ret = pintest_dma_page(pintest_range_next(&pages), in_page, pos,
				       n, done, walk);
		if (ret)
			break;
		done += n;
		cond_resched();
	}
	atomic64_add(done, &pintest_counters.dma_bytes);
	return ret;
}

/*
 * Runs @walk on @range: ERANGE outside the range, EPERM for a write into
 * a range pinned without FOLL_WRITE (its pages may be the zero page or a
 * read-only file's).  VERIFY's findings are left in @walk.
 */
int pintest_dma(struct pintest_range *range, struct pintest_walk *walk)
{
	int ret;

	ret = pintest_range_check_bytes(range, walk->offset, walk->length);
	if (ret)
		return ret;
	if (pintest_walk_writes(walk) && !range->writable)
		return -EPERM;
	walk->mismatches = 0;
	walk->first_mismatch = ~0ULL;
	return pintest_walk_pages(range, walk);
}
