// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned ranges: taking a pin (all or nothing, chunked, charged to
 * RLIMIT_MEMLOCK through mm->pinned_vm as RDMA does), the per-file handle
 * table, and releasing a pin exactly once.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

int pintest_check_range(u64 addr, u64 length, unsigned long *npages)
{
	if (!length || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (addr + length < addr)
		return -EOVERFLOW;
	if (length >> PAGE_SHIFT > READ_ONCE(pintest_max_pin_pages))
		return -E2BIG;
	if (!access_ok(u64_to_user_ptr(addr), length))
		return -EFAULT;
	*npages = length >> PAGE_SHIFT;
	return 0;
}

/* Like ib_umem_get(): CAP_IPC_LOCK may pin beyond RLIMIT_MEMLOCK. */
static int charge_pinned_vm(struct mm_struct *mm, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

static long pin_chunk(unsigned int method, unsigned long start,
		      unsigned long nr, unsigned int gup_flags,
		      struct page **pages)
{
	long ret;

	switch (method) {
	case PINTEST_PIN_LOCKED:
		if (mmap_read_lock_killable(current->mm))
			return -EINTR;
		ret = pintest_pin_user_pages(start, nr, gup_flags, pages);
		mmap_read_unlock(current->mm);
		return ret;
	case PINTEST_PIN_UNLOCKED:
		return pin_user_pages_unlocked(start, nr, pages, gup_flags);
	default:
		return pin_user_pages_fast(start, nr, gup_flags, pages);
	}
}

/*
 * Pins all of @range or nothing; the first failure's errno is returned.
 * Each chunk is pinned into the free slots and folded there into folio
 * ranges.  *@ns is the time spent in pin_user_pages*(), for benchmarks.
 */
static int pin_all(struct pinned_range *range, unsigned int flags, u64 *ns)
{
	unsigned long done = 0, nr, last_run = NO_RUN;
	unsigned int gup_flags = 0;
	u64 t0;
	long ret;

	if (flags & PINTEST_PIN_WRITE)
		gup_flags |= FOLL_WRITE;
	if (flags & PINTEST_PIN_LONGTERM)
		gup_flags |= FOLL_LONGTERM;

	while (done < range->npages) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unpin;
		}
		nr = min_t(unsigned long, range->npages - done,
			   PINTEST_PIN_CHUNK);
		ret = pintest_slots_reserve(range, done, nr);
		if (ret)
			goto err_unpin;
		t0 = ktime_get_ns();
		ret = pin_chunk(flags & PINTEST_PIN_METHODS,
				range->addr + (done << PAGE_SHIFT), nr,
				gup_flags, range->slots + range->nr_slots);
		*ns += ktime_get_ns() - t0;
		if (ret <= 0) {
			/* 6.3+ may answer 0 instead of an errno. */
			if (!ret)
				ret = -EFAULT;
			goto err_unpin;
		}
		pintest_slots_fold(range, ret, &last_run);
		done += ret;
		cond_resched();
	}
	/* a range of huge folios needs far fewer slots than guessed */
	if (range->cap_slots > range->nr_slots)
		pintest_slots_resize(range, range->nr_slots);
	return 0;

err_unpin:
	pintest_slots_unpin(range->slots, range->nr_slots, false);
	return ret;
}

int pintest_pin(struct pintest_file *pf, struct pintest_pin *cmd)
{
	unsigned int method = cmd->flags & PINTEST_PIN_METHODS ?: PINTEST_PIN_FAST;
	struct pinned_range *range;
	unsigned long npages;
	u32 handle;
	int ret;

	if (cmd->flags & ~(PINTEST_PIN_WRITE | PINTEST_PIN_LONGTERM |
			   PINTEST_PIN_METHODS) ||
	    hweight32(cmd->flags & PINTEST_PIN_METHODS) > 1 || cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & PINTEST_PIN_LONGTERM &&
	    !(method & PINTEST_LONGTERM_METHODS))
		return -EINVAL;
	ret = pintest_check_range(cmd->addr, cmd->length, &npages);
	if (ret)
		return ret;

	range = kzalloc(sizeof(*range), GFP_KERNEL_ACCOUNT);
	if (!range)
		return -ENOMEM;
	kref_init(&range->ref);
	pintest_writer_init(range);
	range->addr = cmd->addr;
	range->npages = npages;
	range->writable = cmd->flags & PINTEST_PIN_WRITE;
	/* charged first: a request over RLIMIT_MEMLOCK allocates nothing */
	range->mm = current->mm;
	ret = charge_pinned_vm(range->mm, npages);
	if (ret)
		goto err_free_range;
	cmd->out_pin_ns = 0;
	ret = pin_all(range, cmd->flags, &cmd->out_pin_ns);
	if (ret)
		goto err_free_slots;
	mmgrab(range->mm);

	ret = xa_alloc(&pf->pins, &handle, range,
		       XA_LIMIT(1, READ_ONCE(pintest_max_handles)), GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY)
			ret = -ENOSPC;
		pintest_range_put(range);
		return ret;
	}

	atomic64_inc(&pintest_counters.live_pins);
	atomic64_add(npages, &pintest_counters.live_pages);
	atomic64_inc(&pintest_counters.total_pins);
	atomic64_add(npages, &pintest_counters.total_pages);
	atomic64_add(pintest_range_bytes(range),
		     &pintest_counters.bookkeeping_bytes);
	cmd->out_handle = handle;
	cmd->out_npages = npages;
	return 0;

err_free_slots:
	kvfree(range->slots);
	atomic64_sub(npages, &range->mm->pinned_vm);
err_free_range:
	kfree(range);
	return ret;
}

/* What the module holds for one pin: its record and its slots. */
size_t pintest_range_bytes(const struct pinned_range *range)
{
	return sizeof(*range) + range->cap_slots * sizeof(*range->slots);
}

static void range_release(struct kref *ref)
{
	struct pinned_range *range = container_of(ref, struct pinned_range, ref);

	pintest_slots_unpin(range->slots, range->nr_slots,
			    READ_ONCE(range->dirty_on_release));
	atomic64_sub(range->npages, &range->mm->pinned_vm);
	mmdrop(range->mm);
	kvfree(range->slots);
	kfree(range);
}

/* Process context only: the final put may sleep in folio_lock(). */
void pintest_range_put(struct pinned_range *range)
{
	kref_put(&range->ref, range_release);
}

struct pinned_range *pintest_range_get(struct pintest_file *pf, u32 handle)
{
	struct pinned_range *range;

	xa_lock(&pf->pins);
	range = xa_load(&pf->pins, handle);
	if (range)
		kref_get(&range->ref);
	xa_unlock(&pf->pins);
	return range;
}

static void range_unlink(struct pinned_range *range, bool dirty)
{
	pintest_writer_kill(range);
	atomic64_dec(&pintest_counters.live_pins);
	atomic64_sub(range->npages, &pintest_counters.live_pages);
	atomic64_inc(&pintest_counters.total_unpins);
	atomic64_sub(pintest_range_bytes(range),
		     &pintest_counters.bookkeeping_bytes);
	WRITE_ONCE(range->dirty_on_release, dirty);
	pintest_range_put(range);
}

int pintest_unpin(struct pintest_file *pf, u32 handle, bool dirty)
{
	struct pinned_range *range = xa_erase(&pf->pins, handle);

	if (!range)
		return -ENOENT;
	range_unlink(range, dirty);
	return 0;
}

/*
 * close() or exit: like ib_umem_release(), pages a device could have
 * written are released dirty.
 */
void pintest_release_all(struct pintest_file *pf)
{
	struct pinned_range *range;
	unsigned long handle;

	xa_for_each(&pf->pins, handle, range) {
		xa_erase(&pf->pins, handle);
		range_unlink(range, range->writable);
	}
	xa_destroy(&pf->pins);
}
