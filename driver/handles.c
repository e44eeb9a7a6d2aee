// SPDX-License-Identifier: GPL-2.0
/*
 * The handle table of one open file description.  A PIN reserves its
 * handle first (XA_ZERO_ENTRY), tells the caller, and only then publishes
 * the range, as iommufd does with its objects: until then no other thread
 * can find the range, and after that the PIN no longer touches it.  Only
 * this file drops the table's reference, after stopping the writer.
 */
#include <linux/xarray.h>

#include "pintest.h"

void pintest_file_init(struct pintest_file *pf, bool show_pfn)
{
	xa_init_flags(&pf->pins, XA_FLAGS_ALLOC1);
	xa_init_flags(&pf->maps, XA_FLAGS_ALLOC1);
	pf->show_pfn = show_pfn;
	atomic_set(&pf->nr_writers, 0);
}

/* ENOSPC when the file holds max_handles pins (reserved ones count). */
int pintest_handle_reserve(struct pintest_file *pf, u32 *handle)
{
	int ret = xa_alloc(&pf->pins, handle, XA_ZERO_ENTRY,
			   XA_LIMIT(1, READ_ONCE(pintest_max_handles)),
			   GFP_KERNEL);

	return ret == -EBUSY ? -ENOSPC : ret;
}

/* The reply could not be copied out: nobody knows the handle. */
void pintest_handle_abort(struct pintest_file *pf, u32 handle)
{
	xa_erase(&pf->pins, handle);
}

/*
 * Makes @range, whose reference passes to the table, the pin @handle.
 * Replacing the reserved entry allocates nothing, so it cannot fail.
 */
void pintest_handle_publish(struct pintest_file *pf, u32 handle,
			    struct pintest_range *range)
{
	struct pintest_counters *c = &pintest_counters;

	pintest_writer_init(&range->writer, &pf->nr_writers);
	atomic64_inc(&c->live_pins);
	atomic64_add(range->npages, &c->live_pages);
	atomic64_inc(&c->total_pins);
	atomic64_add(range->npages, &c->total_pages);
	atomic64_add(pintest_range_bytes(range), &c->bookkeeping_bytes);
	xa_store(&pf->pins, handle, range, GFP_KERNEL);
}

/* The range @handle names, with a reference the caller puts; or NULL. */
struct pintest_range *pintest_handle_get(struct pintest_file *pf, u32 handle)
{
	struct pintest_range *range;

	xa_lock(&pf->pins);
	range = xa_load(&pf->pins, handle);
	if (range)
		pintest_range_get(range);
	xa_unlock(&pf->pins);
	return range;
}

/*
 * Drops the table's reference of a range already taken out of it, in the
 * order a driver must keep: stop the device (the writer, the transfer in
 * flight), unmap, unpin (the last reference: this one, or that of a call
 * still using the range or one of its mappings, when it ends).
 */
static void pintest_handle_drop(struct pintest_file *pf,
				struct pintest_range *range, bool dirty)
{
	struct pintest_counters *c = &pintest_counters;

	pintest_writer_kill(range);
	pintest_device_unmap_range(&pf->maps, range);
	atomic64_dec(&c->live_pins);
	atomic64_sub(range->npages, &c->live_pages);
	atomic64_inc(&c->total_unpins);
	atomic64_sub(pintest_range_bytes(range), &c->bookkeeping_bytes);
	WRITE_ONCE(range->dirty_on_release, dirty);
	pintest_range_put(range);
}

/* ENOENT for a handle that is free or still being created. */
int pintest_handle_unpin(struct pintest_file *pf, u32 handle, bool dirty)
{
	struct pintest_range *range;

	xa_lock(&pf->pins);
	/* xa_load() reads a reserved entry as NULL: it stays reserved */
	range = xa_load(&pf->pins, handle);
	if (range)
		__xa_erase(&pf->pins, handle);
	xa_unlock(&pf->pins);
	if (!range)
		return -ENOENT;
	pintest_handle_drop(pf, range, dirty);
	return 0;
}

/*
 * close() or exit, when no ioctl of the file runs any more: like
 * ib_umem_release(), pages a device could have written are released dirty.
 */
void pintest_file_release(struct pintest_file *pf)
{
	struct pintest_range *range;
	unsigned long handle;

	xa_for_each(&pf->pins, handle, range) {
		xa_erase(&pf->pins, handle);
		pintest_handle_drop(pf, range, range->writable);
	}
	xa_destroy(&pf->pins);
	xa_destroy(&pf->maps);
}
