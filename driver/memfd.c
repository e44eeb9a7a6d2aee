// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a pin by file offset: memfd_pin_folios(), the pin-by-file API
 * udmabuf uses (6.10+), into a new range.  It pins each folio once,
 * however many of its pages the range holds, so the range is released
 * folio by folio (pintest_slots_unpin_folios()).  Charged to
 * RLIMIT_MEMLOCK as a pin by address is.
 */
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "pintest.h"

/* Folios per memfd_pin_folios() call; each takes at most two slots. */
#define PINTEST_MEMFD_CHUNK	64

/* Seals that promise nobody writes: udmabuf refuses them as well. */
#define PINTEST_SEALS_NO_WRITE	(F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/*
 * Whether @file may give @npages pages from @offset to a device: EINVAL
 * for a file memfd_pin_folios() does not take or a range past its end;
 * for a writing device, EBADF when @file is not open for writing and
 * EPERM when it is sealed against writes.  Under the inode lock, which
 * F_ADD_SEALS and truncation take exclusively.
 */
static int pintest_memfd_check(struct file *file, u64 offset, u64 length,
			       bool write)
{
	if (!shmem_file(file) && !is_file_hugepages(file))
		return -EINVAL;
	if (offset + length > i_size_read(file_inode(file)))
		return -EINVAL;
	if (write && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (write && pintest_memfd_seals(file) & PINTEST_SEALS_NO_WRITE)
		return -EPERM;
	return 0;
}

/*
 * Pins pages [@offset, @offset + the range's size) of @file into @range,
 * all or nothing.  *@ns is the time spent in memfd_pin_folios(), *@nfolios
 * the folios pinned.
 */
static int pintest_memfd_pin_all(struct pintest_range *range,
				 struct file *file, loff_t offset, u64 *ns,
				 u64 *nfolios)
{
	loff_t end = offset + ((loff_t)range->npages << PAGE_SHIFT) - 1;
	unsigned long done = 0;
	struct folio **folios;
	pgoff_t skip;
	long got, i;
	int ret = 0;
	u64 t0;

	folios = kmalloc_array(PINTEST_MEMFD_CHUNK, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	while (done < range->npages) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = pintest_slots_reserve(range, done,
					    min(range->npages - done,
						2UL * PINTEST_MEMFD_CHUNK));
		if (ret)
			break;
		t0 = ktime_get_ns();
		got = pintest_memfd_pin_folios(file,
					       offset + ((loff_t)done << PAGE_SHIFT),
					       end, folios, PINTEST_MEMFD_CHUNK,
					       &skip);
		*ns += ktime_get_ns() - t0;
		if (got <= 0) {
			ret = got ?: -EFAULT;
			break;
		}
		/* the first folio may start before the offset asked for */
		for (i = 0; i < got; i++)
			done += pintest_slots_add_folio(range, folios[i],
							i ? 0 : skip >> PAGE_SHIFT,
							range->npages - done);
		*nfolios += got;
		cond_resched();
	}
	kfree(folios);
	if (ret) {
		pintest_range_unpin(range, false);
		return ret;
	}
	if (range->cap_slots > range->nr_slots)
		pintest_slots_resize(range, range->nr_slots);
	return 0;
}

/*
 * PIN_MEMFD, up to the handle: a new range holding the file's pages, in
 * *@out with the caller's reference.
 */
int pintest_pin_memfd(const struct pintest_pin_memfd *cmd,
		      struct pintest_range **out, u64 *pin_ns, u64 *nfolios)
{
	bool write = cmd->flags & PINTEST_PIN_WRITE;
	struct pintest_range *range;
	unsigned long npages;
	struct file *file;
	int ret;

	if (cmd->flags & ~(PINTEST_PIN_WRITE | PINTEST_PIN_LONGTERM) ||
	    cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	if (!PINTEST_HAVE_MEMFD_PIN)
		return -EOPNOTSUPP;
	ret = pintest_check_extent(cmd->offset, cmd->length, &npages);
	if (ret)
		return ret;
	file = fget(cmd->fd);
	if (!file)
		return -EBADF;

	/* no seal, no truncation while the folios are looked up and pinned */
	inode_lock_shared(file_inode(file));
	ret = pintest_memfd_check(file, cmd->offset, cmd->length, write);
	if (ret)
		goto out_unlock;
	range = pintest_range_alloc(0, npages, write);
	if (IS_ERR(range)) {
		ret = PTR_ERR(range);
		goto out_unlock;
	}
	range->by_folio = true;
	*pin_ns = 0;
	*nfolios = 0;
	ret = pintest_memfd_pin_all(range, file, cmd->offset, pin_ns, nfolios);
	if (ret)
		pintest_range_put(range);
	else
		*out = range;
out_unlock:
	inode_unlock_shared(file_inode(file));
	fput(file);
	return ret;
}
