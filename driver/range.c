// SPDX-License-Identifier: GPL-2.0
/*
 * struct pintest_range: a pin's life (allocated empty, released exactly
 * once by its last reference) and the bounds every user of it checks.
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

/*
 * EINVAL, EOVERFLOW or E2BIG unless @length bytes from @start (a user
 * address or a file offset) can be one pin; *@npages its pages.
 */
int pintest_check_extent(u64 start, u64 length, unsigned long *npages)
{
	if (!length || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (start + length < start)
		return -EOVERFLOW;
	if (length >> PAGE_SHIFT > READ_ONCE(pintest_max_pin_pages))
		return -E2BIG;
	*npages = length >> PAGE_SHIFT;
	return 0;
}

/* pintest_check_extent(), and EFAULT unless it is user address space. */
int pintest_check_user_range(u64 addr, u64 length, unsigned long *npages)
{
	int ret = pintest_check_extent(addr, length, npages);

	if (!ret && !access_ok(u64_to_user_ptr(addr), length))
		ret = -EFAULT;
	return ret;
}

/* ERANGE unless bytes [@offset, @offset + @length) lie inside @range. */
int pintest_range_check_bytes(const struct pintest_range *range, u64 offset,
			      u64 length)
{
	u64 size = (u64)range->npages << PAGE_SHIFT;

	if (offset >= size || length > size - offset)
		return -ERANGE;
	return 0;
}

/* ERANGE unless pages [@first, @first + @count) lie inside @range. */
int pintest_range_check_pages(const struct pintest_range *range, u64 first,
			      u64 count)
{
	if (first >= range->npages || count > range->npages - first)
		return -ERANGE;
	return 0;
}

/* What the module holds for one pin: its record and its slots. */
size_t pintest_range_bytes(const struct pintest_range *range)
{
	return sizeof(*range) + range->cap_slots * sizeof(*range->slots);
}

/* Like ib_umem_get(): CAP_IPC_LOCK may pin beyond RLIMIT_MEMLOCK. */
static int pintest_charge_pinned_vm(struct mm_struct *mm,
				    unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/*
 * A range of @npages not pinned yet, holding one reference, already
 * charged to the caller's pinned_vm (ENOMEM over RLIMIT_MEMLOCK, before
 * anything is allocated).  pin.c fills its slots.
 */
struct pintest_range *pintest_range_alloc(unsigned long addr,
					  unsigned long npages, bool writable)
{
	struct pintest_range *range;
	int ret;

	ret = pintest_charge_pinned_vm(current->mm, npages);
	if (ret)
		return ERR_PTR(ret);
	range = pintest_kzalloc_obj(*range, GFP_KERNEL_ACCOUNT);
	if (!range) {
		atomic64_sub(npages, &current->mm->pinned_vm);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&range->ref);
	INIT_LIST_HEAD(&range->devmaps);
	range->addr = addr;
	range->npages = npages;
	range->writable = writable;
	range->mm = current->mm;
	mmgrab(range->mm);
	return range;
}

/* Releases the pages @range holds, as they were pinned; it holds none after. */
void pintest_range_unpin(struct pintest_range *range, bool dirty)
{
	if (range->by_folio)
		pintest_slots_unpin_folios(range->slots, range->nr_slots, dirty);
	else
		pintest_slots_unpin(range->slots, range->nr_slots, dirty);
	range->nr_slots = 0;
}

static void pintest_range_release(struct kref *ref)
{
	struct pintest_range *range = container_of(ref, struct pintest_range,
						   ref);

	pintest_range_unpin(range, READ_ONCE(range->dirty_on_release));
	atomic64_sub(range->npages, &range->mm->pinned_vm);
	mmdrop(range->mm);
	kvfree(range->slots);
	kfree(range);
}

void pintest_range_get(struct pintest_range *range)
{
	kref_get(&range->ref);
}

/* Process context only: the final put may sleep in folio_lock(). */
void pintest_range_put(struct pintest_range *range)
{
	kref_put(&range->ref, pintest_range_release);
}
