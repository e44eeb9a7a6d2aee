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

struct dma_cursor {
	struct pintest_dma *cmd;
	u64 mismatches;
	u64 first_mismatch;
};

/* @pos is the byte offset of @dst from the start of the pin. */
static void pattern_fill(u8 *dst, u64 pos, size_t n, u64 seed)
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

static void pattern_verify(const u8 *src, u64 pos, size_t n,
			   struct dma_cursor *cur)
{
	u64 seed = cur->cmd->seed;

	while (n) {
		u64 word = pintest_pattern(seed, pos / 8);
		u8 want = word >> (8 * (pos % 8));

		/* whole words first; a differing word is checked bytewise */
		if (pos % 8 == 0 && n >= 8 && get_unaligned_le64(src) == word) {
			src += 8, pos += 8, n -= 8;
			continue;
		}
		if (*src != want) {
			if (!cur->mismatches++)
				cur->first_mismatch = pos;
		}
		src++, pos++, n--;
	}
}

/* One page's share of the transfer; returns 0 or -EFAULT. */
static int dma_page(struct page *page, size_t in_page, u64 pos, size_t n,
		    u64 done, struct dma_cursor *cur)
{
	struct pintest_dma *cmd = cur->cmd;
	void __user *ubuf = u64_to_user_ptr(cmd->buf + done);
	u8 *kaddr = kmap_local_page(page);
	unsigned long left = 0;

	switch (cmd->op) {
	case PINTEST_DMA_WRITE:
		left = copy_from_user(kaddr + in_page, ubuf, n);
		flush_dcache_page(page);
		break;
	case PINTEST_DMA_READ:
		left = copy_to_user(ubuf, kaddr + in_page, n);
		break;
	case PINTEST_DMA_FILL:
		pattern_fill(kaddr + in_page, pos, n, cmd->seed);
		flush_dcache_page(page);
		break;
	case PINTEST_DMA_VERIFY:
		pattern_verify(kaddr + in_page, pos, n, cur);
		break;
	}
	kunmap_local(kaddr);
	return left ? -EFAULT : 0;
}

static int check_dma_args(const struct pintest_dma *cmd)
{
	bool uses_buf;

	if (cmd->flags || !cmd->length)
		return -EINVAL;
	switch (cmd->op) {
	case PINTEST_DMA_WRITE:
	case PINTEST_DMA_READ:
		uses_buf = true;
		break;
	case PINTEST_DMA_FILL:
	case PINTEST_DMA_VERIFY:
		uses_buf = false;
		break;
	default:
		return -EINVAL;
	}
	if (uses_buf ? cmd->seed != 0 : cmd->buf != 0)
		return -EINVAL;
	return 0;
}

/* ERANGE unless [@offset, @offset + @length) lies inside the pin. */
int pintest_check_span(const struct pinned_range *range, u64 offset,
		       u64 length)
{
	u64 size = (u64)range->npages << PAGE_SHIFT;

	if (offset >= size || length > size - offset)
		return -ERANGE;
	return 0;
}

/* Walks the command's span of @range page by page. */
static int dma_walk(struct pinned_range *range, struct dma_cursor *cur)
{
	struct pintest_dma *cmd = cur->cmd;
	struct range_cursor pages;
	u64 done = 0;
	int ret = 0;

	pintest_range_seek(range, cmd->offset >> PAGE_SHIFT, &pages);
	while (done < cmd->length) {
		u64 pos = cmd->offset + done;
		size_t in_page = offset_in_page(pos);
		size_t n = min_t(u64, PAGE_SIZE - in_page, cmd->length - done);

		ret = dma_page(pintest_range_next(&pages), in_page, pos, n,
			       done, cur);
		if (ret)
			break;
		done += n;
		cond_resched();
	}
	atomic64_add(done, &pintest_counters.dma_bytes);
	return ret;
}

/* One pass of the in-flight writer; the caller checked the span. */
void pintest_fill_range(struct pinned_range *range, u64 offset, u64 length,
			u64 seed)
{
	struct pintest_dma cmd = {
		.op = PINTEST_DMA_FILL,
		.offset = offset,
		.length = length,
		.seed = seed,
	};
	struct dma_cursor cur = { .cmd = &cmd };

	dma_walk(range, &cur);
}

int pintest_dma(struct pintest_file *pf, struct pintest_dma *cmd)
{
	struct dma_cursor cur = { .cmd = cmd, .first_mismatch = ~0ULL };
	struct pinned_range *range;
	int ret;

	ret = check_dma_args(cmd);
	if (ret)
		return ret;
	range = pintest_range_get(pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_check_span(range, cmd->offset, cmd->length);
	if (ret)
		goto out_put;
	if ((cmd->op == PINTEST_DMA_WRITE || cmd->op == PINTEST_DMA_FILL) &&
	    !range->writable) {
		ret = -EPERM;
		goto out_put;
	}

	ret = dma_walk(range, &cur);
	cmd->out_mismatches = cur.mismatches;
	cmd->out_first_mismatch = cur.first_mismatch;
out_put:
	pintest_range_put(range);
	return ret;
}
