// SPDX-License-Identifier: GPL-2.0
/*
 * QUERY and PROBE: what the kernel thinks of a page, for pages a pin
 * holds and for whatever is mapped at a user address right now.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

/*
 * hugetlb and PMD-mapped THP keep PG_anon_exclusive on the head page;
 * splitting the PMD copies it to every subpage.  folio_entire_mapcount()
 * is only defined for large folios (VM_BUG_ON under DEBUG_VM).
 */
static struct page *pintest_anon_exclusive_page(struct folio *folio,
						struct page *page)
{
	if (folio_test_large(folio) &&
	    (folio_test_hugetlb(folio) || folio_entire_mapcount(folio) > 0))
		return &folio->page;
	return page;
}

/*
 * Describes @page; @extra_refs are references the caller holds only to
 * look at it (PROBE's), not counted in the answer.  The folio cannot be
 * freed under us, but mapping and flags may change while we read them.
 */
static void pintest_describe_page(struct page *page, int extra_refs,
				  bool show_pfn, struct pintest_page *out)
{
	struct folio *folio = page_folio(page);
	unsigned long pfn = page_to_pfn(page);
	u32 flags = PINTEST_PAGE_PRESENT;

	memset(out, 0, sizeof(*out));
	if (show_pfn)
		out->pfn = pfn;
	out->refcount = folio_ref_count(folio) - extra_refs;
	out->mapcount = pintest_page_mapcount(page);
	out->order = folio_order(folio);
	out->zone = pintest_page_zone(page);

	if (folio_maybe_dma_pinned(folio))
		flags |= PINTEST_PAGE_MAYBE_DMA_PINNED;
	if (folio_test_large(folio)) {
		flags |= PINTEST_PAGE_LARGE | PINTEST_PAGE_PINCOUNT_EXACT;
		out->pincount = pintest_folio_pincount(folio);
	} else {
		out->pincount = out->refcount / GUP_PIN_COUNTING_BIAS;
	}

	if (is_zero_pfn(pfn)) {
		flags |= PINTEST_PAGE_ZERO;
	} else if (folio_test_anon(folio)) {
		flags |= PINTEST_PAGE_ANON;
		if (PageAnonExclusive(pintest_anon_exclusive_page(folio, page)))
			flags |= PINTEST_PAGE_ANON_EXCLUSIVE;
	} else if (READ_ONCE(folio->mapping)) {
		flags |= PINTEST_PAGE_FILE;
		if (folio_test_swapbacked(folio))
			flags |= PINTEST_PAGE_SHMEM;
	} else {
		flags |= PINTEST_PAGE_TRUNCATED;
	}

	if (folio_test_hugetlb(folio))
		flags |= PINTEST_PAGE_HUGETLB;
	if (folio_test_dirty(folio))
		flags |= PINTEST_PAGE_DIRTY;
	if (folio_test_writeback(folio))
		flags |= PINTEST_PAGE_WRITEBACK;
	if (folio_test_lru(folio))
		flags |= PINTEST_PAGE_LRU;
	if (folio_test_private(folio))
		flags |= PINTEST_PAGE_PRIVATE;
	if (pintest_longterm_pinnable(folio))
		flags |= PINTEST_PAGE_LONGTERM_PINNABLE;
	out->flags = flags | pintest_page_cma_flags(page);
}

/* Entries are written at the caller's stride, zero-extended. */
static int pintest_put_entry(u64 base, u32 entry_size, u64 index,
			     const struct pintest_page *entry)
{
	void __user *dst = u64_to_user_ptr(base + index * entry_size);
	size_t n = min_t(size_t, entry_size, sizeof(*entry));

	if (copy_to_user(dst, entry, n))
		return -EFAULT;
	if (entry_size > n && clear_user(dst + n, entry_size - n))
		return -EFAULT;
	return 0;
}

/* EINVAL unless @entry_size is a struct pintest_page the caller may know. */
static int pintest_check_entry_size(u32 entry_size)
{
	if (entry_size < PINTEST_PAGE_ENTRY_MIN ||
	    entry_size > PINTEST_PAGE_ENTRY_MAX)
		return -EINVAL;
	return 0;
}

int pintest_query(struct pintest_range *range, struct pintest_query *cmd,
		  bool show_pfn)
{
	struct pintest_page entry;
	struct pintest_cursor pages;
	u64 i;
	int ret;

	if (cmd->flags || !cmd->count)
		return -EINVAL;
	ret = pintest_check_entry_size(cmd->entry_size);
	if (ret)
		return ret;
	ret = pintest_range_check_pages(range, cmd->first, cmd->count);
	if (ret)
		return ret;

	pintest_range_seek(range, cmd->first, &pages);
	for (i = 0; i < cmd->count; i++) {
		pintest_describe_page(pintest_range_next(&pages), 0, show_pfn,
				      &entry);
		ret = pintest_put_entry(cmd->pages, cmd->entry_size, i, &entry);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * get_user_pages_fast_only() neither faults nor sleeps: a page that is not
 * mapped (or is special, like the zero page) reads as not present.
 */
int pintest_probe(struct pintest_probe *cmd, bool show_pfn)
{
	struct pintest_page entry;
	unsigned long npages, i;
	struct page *page;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	ret = pintest_check_entry_size(cmd->entry_size);
	if (ret)
		return ret;
	ret = pintest_check_user_range(cmd->addr, cmd->length, &npages);
	if (ret)
		return ret;

	for (i = 0; i < npages; i++) {
		if (get_user_pages_fast_only(cmd->addr + (i << PAGE_SHIFT), 1,
					     0, &page) == 1) {
			pintest_describe_page(page, 1, show_pfn, &entry);
			put_page(page);
		} else {
			memset(&entry, 0, sizeof(entry));
		}
		ret = pintest_put_entry(cmd->pages, cmd->entry_size, i, &entry);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}
