// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a pin: pin_user_pages*() into a new range, all or nothing,
 * in chunks, charged to RLIMIT_MEMLOCK through mm->pinned_vm as RDMA does;
 * pin_user_pages_remote() on another process's mm (remote.c gives it),
 * charged to the caller all the same.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "pintest.h"

/* pin_user_pages_remote() under @mm's lock, which it may drop. */
static long pintest_pin_remote(struct mm_struct *mm, unsigned long start,
			       unsigned long nr, unsigned int gup_flags,
			       struct page **pages)
{
	int locked = 1;
	long ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = pintest_pin_user_pages_remote(mm, start, nr, gup_flags, pages,
					    &locked);
	if (locked)
		mmap_read_unlock(mm);
	return ret;
}

/* One chunk by @method; @mm is the process's for PINTEST_PIN_REMOTE. */
static long pintest_pin_chunk(unsigned int method, struct mm_struct *mm,
			      unsigned long start, unsigned long nr,
			      unsigned int gup_flags, struct page **pages)
{
	long ret;

	switch (method) {
	case PINTEST_PIN_REMOTE:
		return pintest_pin_remote(mm, start, nr, gup_flags, pages);
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
 * Pins all of @range or nothing, @chunk pages per pin_user_pages*() call;
 * the first failure's errno is returned.  Each chunk is pinned into the
 * free slots and folded there into folio ranges.  *@ns is the time spent
 * in pin_user_pages*(), for benchmarks.  @mm: as pintest_pin_chunk()'s.
 */
static int pintest_pin_all(struct pintest_range *range, unsigned int flags,
			   struct mm_struct *mm, unsigned long chunk, u64 *ns)
{
	unsigned long done = 0, nr, last_run = PINTEST_NO_RUN;
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
		nr = min(range->npages - done, chunk);
		ret = pintest_slots_reserve(range, done, nr);
		if (ret)
			goto err_unpin;
		t0 = ktime_get_ns();
		ret = pintest_pin_chunk(flags & PINTEST_PIN_METHODS, mm,
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
	pintest_range_unpin(range, false);
	return ret;
}

/*
 * PIN, up to the handle: a new range holding the pages, in *@out with the
 * caller's reference.  *@pin_ns is the time pin_user_pages*() took.  A
 * REMOTE pin holds the process's mm only while it pins: the pages need
 * nothing of it to be released.
 */
int pintest_pin(const struct pintest_pin *cmd, struct pintest_range **out,
		u64 *pin_ns)
{
	unsigned int method = cmd->flags & PINTEST_PIN_METHODS ?: PINTEST_PIN_FAST;
	struct pintest_range *range;
	struct mm_struct *mm = NULL;
	unsigned long npages;
	int ret;

	if (cmd->flags & ~(PINTEST_PIN_WRITE | PINTEST_PIN_LONGTERM |
			   PINTEST_PIN_METHODS) ||
	    hweight32(cmd->flags & PINTEST_PIN_METHODS) > 1)
		return -EINVAL;
	if (method != PINTEST_PIN_REMOTE && cmd->pidfd)
		return -EINVAL;
	if (cmd->flags & PINTEST_PIN_LONGTERM &&
	    !(method & PINTEST_LONGTERM_METHODS))
		return -EINVAL;
	ret = pintest_check_user_range(cmd->addr, cmd->length, &npages);
	if (ret)
		return ret;
	if (method == PINTEST_PIN_REMOTE) {
		mm = pintest_remote_mm(cmd->pidfd);
		if (IS_ERR(mm))
			return PTR_ERR(mm);
	}

	range = pintest_range_alloc(cmd->addr, npages,
				    cmd->flags & PINTEST_PIN_WRITE);
	if (IS_ERR(range)) {
		ret = PTR_ERR(range);
		goto out_mmput;
	}
	*pin_ns = 0;
	ret = pintest_pin_all(range, cmd->flags, mm, PINTEST_PIN_CHUNK, pin_ns);
	if (ret)
		pintest_range_put(range);
	else
		*out = range;
out_mmput:
	if (mm)
		mmput(mm);
	return ret;
}

/*
 * The pages of [@addr, + @npages pages) pinned with PIN's @flags (one
 * method, checked by the caller), @chunk pages a call: the gup_test
 * interface's pins, into a range as PIN's.
 */
int pintest_pin_pages(unsigned long addr, unsigned long npages,
		      unsigned int flags, unsigned long chunk,
		      struct pintest_range **out, u64 *pin_ns)
{
	struct pintest_range *range;
	int ret;

	range = pintest_range_alloc(addr, npages, flags & PINTEST_PIN_WRITE);
	if (IS_ERR(range))
		return PTR_ERR(range);
	*pin_ns = 0;
	ret = pintest_pin_all(range, flags, NULL, max(chunk, 1UL), pin_ns);
	if (ret) {
		pintest_range_put(range);
		return ret;
	}
	*out = range;
	return 0;
}
