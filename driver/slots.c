// SPDX-License-Identifier: GPL-2.0
/*
 * How a pin stores its pages: as folio ranges in an array of slots.
 *
 * A slot holds one pinned page, or a run of at least PINTEST_MIN_RUN consecutive
 * pages of one folio takes two slots: its first page tagged with PINTEST_RUN_TAG,
 * then its length.  A 4K page so costs at most 8 bytes and a whole 2 MiB
 * THP 16.  pin_user_pages*() fill the free slots at the end of the array
 * with plain pages, which pintest_slots_fold() then folds in place;
 * memfd_pin_folios() gives folios, which pintest_slots_add_folio() stores
 * as runs directly.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "pintest.h"

/* struct page is word aligned, so bit 0 of a page pointer is free. */
#define PINTEST_RUN_TAG		1UL
/* two slots pay off from three pages */
#define PINTEST_MIN_RUN		3

static bool pintest_slot_is_run(const struct page *slot)
{
	return (unsigned long)slot & PINTEST_RUN_TAG;
}

static struct page *pintest_run_first(const struct page *slot)
{
	return (struct page *)((unsigned long)slot & ~PINTEST_RUN_TAG);
}

/* The length of the run whose first slot is @slot[0]. */
static unsigned long pintest_run_len(struct page * const *slot)
{
	return (unsigned long)slot[1];
}

static void pintest_set_run(struct page **slot, struct page *first,
			    unsigned long len)
{
	slot[0] = (struct page *)((unsigned long)first | PINTEST_RUN_TAG);
	slot[1] = (struct page *)len;
}

/* How many of @pages[0..@n) continue @pages[0] inside its folio. */
static unsigned long pintest_folio_run(struct page **pages, unsigned long n)
{
	struct page *first = pages[0];
	struct folio *folio = page_folio(first);
	unsigned long i;

	n = min_t(unsigned long, n,
		  folio_nr_pages(folio) - folio_page_idx(folio, first));
	for (i = 1; i < n && pages[i] == pintest_nth_page(first, i); i++)
		;
	return i;
}

/*
 * Makes room for @need more slots, for pages @done onwards.  The guess
 * is that the rest folds as densely as the pages so far did, so a range
 * of small pages is allocated once and a range of THPs stays small.
 */
int pintest_slots_reserve(struct pintest_range *range, unsigned long done,
			  unsigned long need)
{
	unsigned long cap = range->nr_slots + need;

	if (range->cap_slots - range->nr_slots >= need)
		return 0;
	if (done)
		cap += mult_frac(range->npages - done - need, range->nr_slots,
				 done);
	return pintest_slots_resize(range, min(cap, range->npages));
}

/* Moves the used slots into an array of @cap slots. */
int pintest_slots_resize(struct pintest_range *range, unsigned long cap)
{
	struct page **slots;

	slots = kvmalloc_array(cap, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	if (range->nr_slots)
		memcpy(slots, range->slots, range->nr_slots * sizeof(*slots));
	kvfree(range->slots);
	range->slots = slots;
	range->cap_slots = cap;
	return 0;
}

/* Whether @page continues the run at @slot inside the same folio. */
static bool pintest_extends_run(struct page * const *slot, struct page *page)
{
	struct page *first = pintest_run_first(slot[0]);

	return page == pintest_nth_page(first, pintest_run_len(slot)) &&
	       page_folio(page) == page_folio(first);
}

/*
 * Folds the @got pages just pinned into the free slots.  Slots are
 * written at or behind the page being read, never ahead of it.
 * *@last_run is the slot of the last run stored, or PINTEST_NO_RUN; a
 * page can only extend that run while it still ends the array.
 */
void pintest_slots_fold(struct pintest_range *range, unsigned long got,
			unsigned long *last_run)
{
	struct page **slots = range->slots;
	struct page **pages = slots + range->nr_slots;
	unsigned long w, r = 0, n;
	struct page *first;

	/* small folios up to the first large one already lie where they go */
	while (r < got && !PageCompound(pages[r]))
		r++;
	for (w = range->nr_slots + r; r < got; r += n) {
		first = pages[r];
		n = 1;
		if (!PageCompound(first)) {
			slots[w++] = first;
			continue;
		}
		n = pintest_folio_run(pages + r, got - r);
		if (*last_run != PINTEST_NO_RUN && *last_run + 2 == w &&
		    pintest_extends_run(slots + *last_run, first)) {
			struct page **run = slots + *last_run;

			pintest_set_run(run, pintest_run_first(run[0]),
					pintest_run_len(run) + n);
		} else if (n >= PINTEST_MIN_RUN) {
			pintest_set_run(slots + w, first, n);
			*last_run = w;
			w += 2;
		} else {
			memmove(slots + w, pages + r, n * sizeof(*slots));
			w += n;
		}
	}
	range->nr_slots = w;
}

/* Unpins what @slots[0..@nr_slots) hold; single pages in batches. */
void pintest_slots_unpin(struct page **slots, unsigned long nr_slots,
			 bool dirty)
{
	unsigned long i = 0, n;

	while (i < nr_slots) {
		if (pintest_slot_is_run(slots[i])) {
			unpin_user_page_range_dirty_lock(pintest_run_first(slots[i]),
							 pintest_run_len(slots + i),
							 dirty);
			i += 2;
			continue;
		}
		for (n = 1; i + n < nr_slots && !pintest_slot_is_run(slots[i + n]); n++)
			;
		unpin_user_pages_dirty_lock(slots + i, n, dirty);
		i += n;
	}
}

/* Pages held by the entry starting at @slot, and slots it takes. */
static unsigned long pintest_entry_pages(struct page * const *slot)
{
	return pintest_slot_is_run(slot[0]) ? pintest_run_len(slot) : 1;
}

static unsigned long pintest_entry_slots(struct page * const *slot)
{
	return pintest_slot_is_run(slot[0]) ? 2 : 1;
}

/*
 * Stores pages @first.. of @folio, at most @max of them, in the free slots
 * (the caller reserved two); returns how many.  The folio's pages never
 * extend a run: each folio holds its own pin (memfd_pin_folios()).
 */
unsigned long pintest_slots_add_folio(struct pintest_range *range,
				      struct folio *folio, unsigned long first,
				      unsigned long max)
{
	unsigned long n = min(folio_nr_pages(folio) - first, max), i;
	struct page *page = folio_page(folio, first);
	struct page **slot = range->slots + range->nr_slots;

	if (n >= PINTEST_MIN_RUN) {
		pintest_set_run(slot, page, n);
		range->nr_slots += 2;
		return n;
	}
	for (i = 0; i < n; i++)
		slot[i] = pintest_nth_page(page, i);
	range->nr_slots += n;
	return n;
}

/*
 * Unpins the folios @slots[0..@nr_slots) hold, each once (a range taken by
 * memfd_pin_folios()), in batches of unpin_folios().  The entries of one
 * folio are neighbours; the folio of the next entry is looked up before
 * the batch holding the previous one is released, while it is still pinned.
 */
void pintest_slots_unpin_folios(struct page **slots, unsigned long nr_slots,
				bool dirty)
{
	struct folio *batch[16], *folio;
	unsigned long i;
	unsigned int n = 0;

	for (i = 0; i < nr_slots; i += pintest_entry_slots(slots + i)) {
		folio = page_folio(pintest_run_first(slots[i]));
		if (n && folio == batch[n - 1])
			continue;
		if (n == ARRAY_SIZE(batch)) {
			pintest_unpin_folios(batch, n);
			n = 0;
		}
		/* what unpin_user_pages_dirty_lock() does per folio */
		if (dirty && !folio_test_dirty(folio)) {
			folio_lock(folio);
			folio_mark_dirty(folio);
			folio_unlock(folio);
		}
		batch[n++] = folio;
	}
	pintest_unpin_folios(batch, n);
}

/* Points @cur at page @pgoff of @range, which the caller checked. */
void pintest_range_seek(const struct pintest_range *range, unsigned long pgoff,
			struct pintest_cursor *cur)
{
	struct page * const *slots = range->slots;
	unsigned long slot = 0;

	if (range->nr_slots == range->npages) {
		/* no run: a slot per page */
		slot = pgoff;
		pgoff = 0;
	}
	while (pgoff >= pintest_entry_pages(slots + slot)) {
		pgoff -= pintest_entry_pages(slots + slot);
		slot += pintest_entry_slots(slots + slot);
	}
	cur->slots = slots;
	cur->slot = slot;
	cur->in_run = pgoff;
}

/* The page at @cur; moves @cur to the next page. */
struct page *pintest_range_next(struct pintest_cursor *cur)
{
	struct page * const *slot = cur->slots + cur->slot;
	struct page *page;

	if (!pintest_slot_is_run(slot[0])) {
		cur->slot++;
		return slot[0];
	}
	page = pintest_nth_page(pintest_run_first(slot[0]), cur->in_run);
	if (++cur->in_run == pintest_run_len(slot)) {
		cur->slot += 2;
		cur->in_run = 0;
	}
	return page;
}
