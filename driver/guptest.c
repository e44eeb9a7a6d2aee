// SPDX-License-Identifier: GPL-2.0
/*
 * The gup_test interface on kernels built without CONFIG_GUP_TEST: the
 * file /sys/kernel/debug/gup_test with the ioctls of the kernel's
 * mm/gup_test.h (uapi/linux/pintest_gup_test.h), so that the kernel's own
 * mm selftests (gup_test, gup_longterm, cow) run on distribution kernels.
 * Pins are pintest's ranges, taken by pin.c as PIN takes them; the
 * get_user_pages() requests take and drop page references.
 *
 * gup_flags from userspace: FOLL_WRITE, and for pins FOLL_LONGTERM, are
 * honoured, in the running kernel's numbering (it changed in 6.3);
 * FOLL_FORCE is refused with EINVAL, pintest never forces; other bits are
 * ignored.  As the kernel's, a request whose pages cannot be had is no
 * ioctl error: it reports 0 bytes covered.  Root only (debugfs, 0600).
 *
 * Module parameter gup_test: auto (default) creates the file where the
 * kernel has none; on also beside the kernel's own, as
 * /sys/kernel/debug/pintest/gup_test (for comparing the two); off never.
 * pintest/gup_test always names pintest's, where there is one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/pintest_gup_test.h>

#include "compat.h"
#include "pintest.h"

static char *pintest_gup_test_mode = "auto";
module_param_named(gup_test, pintest_gup_test_mode, charp, 0444);
MODULE_PARM_DESC(gup_test, "provide /sys/kernel/debug/gup_test: auto (where the kernel has none, default), on, off");

static struct dentry *pintest_gup_test_file, *pintest_gup_test_link;

/**
 * struct pintest_gup_file - one open file of gup_test
 * @lock: serialises PIN_LONGTERM_TEST_START, _STOP and _READ
 * @longterm: the pin START took, until STOP or close (under @lock)
 */
struct pintest_gup_file {
	struct mutex lock;	/* see @lock above */
	struct pintest_range *longterm;
};

/* What a pin of pintest's honours of @gup_flags (FOLL_FORCE is refused before). */
static unsigned int pintest_gup_pin_flags(u32 gup_flags)
{
	return (gup_flags & FOLL_WRITE ? PINTEST_PIN_WRITE : 0) |
	       (gup_flags & FOLL_LONGTERM ? PINTEST_PIN_LONGTERM : 0);
}

/*
 * folio_is_longterm_pinnable() without what a module cannot read on every
 * kernel (7.x exports no lookup of a block's migratetype: CMA and
 * isolated blocks): the zero page may be pinned, device-coherent and
 * ZONE_MOVABLE folios may not.
 */
static bool pintest_gup_longterm_pinnable(struct folio *folio)
{
	if (is_zero_pfn(folio_pfn(folio)))
		return true;
	return !folio_is_device_coherent(folio) &&
	       folio_zonenum(folio) != ZONE_MOVABLE;
}

/*
 * A pinned page the kernel does not see as pinned is the kernel's bug;
 * but for the shared zero page, whose pins the kernel does not count
 * (6.6 on).
 */
static void pintest_gup_verify(struct pintest_range *range, bool longterm)
{
	struct pintest_cursor cur;
	unsigned long i;

	pintest_range_seek(range, 0, &cur);
	for (i = 0; i < range->npages; i++) {
		struct folio *folio = page_folio(pintest_range_next(&cur));

		if (is_zero_pfn(folio_pfn(folio)))
			continue;
		if (!folio_maybe_dma_pinned(folio) ||
		    (longterm && !pintest_gup_longterm_pinnable(folio))) {
			pr_err("gup_test: page %lu is pinned but not %s\n", i,
			       folio_maybe_dma_pinned(folio) ?
			       "long-term pinnable" : "dma-pinned");
			dump_page(&folio->page, "pintest gup_test");
			return;
		}
	}
}

/* DUMP_USER_PAGES_TEST: the pages @gup->which_pages names (1-based) that exist. */
static void pintest_gup_dump(struct gup_test *gup, struct page **pages,
			     struct pintest_range *range, unsigned long nr)
{
	struct pintest_cursor cur;
	unsigned int i, n;

	for (i = 0; i < GUP_TEST_MAX_PAGES_TO_DUMP; i++) {
		n = gup->which_pages[i];
		if (n > nr) {
			pr_warn("gup_test: page %u of %lu out of range: not dumped\n",
				n, nr);
			gup->which_pages[i] = 0;
			continue;
		}
		if (!n)
			continue;
		pr_info("gup_test: page #%u, from user address %#llx\n", n - 1,
			gup->addr);
		if (range) {
			pintest_range_seek(range, n - 1, &cur);
			dump_page(pintest_range_next(&cur), "pintest gup_test: dump");
		} else {
			dump_page(pages[n - 1], "pintest gup_test: dump");
		}
	}
}

/*
 * GUP_FAST_BENCHMARK, GUP_BASIC_TEST and DUMP_USER_PAGES_TEST without a
 * pin: references by get_user_pages*(), @gup->nr_pages_per_call a call,
 * until a call gets fewer.  EINTR, ENOMEM; else 0, with what was covered.
 */
static int pintest_gup_get(unsigned int cmd, struct gup_test *gup,
			   unsigned long npages)
{
	unsigned long addr = gup->addr, got = 0;
	long chunk = gup->nr_pages_per_call, nr = chunk;
	bool fast = cmd == GUP_FAST_BENCHMARK;
	struct page **pages;
	ktime_t t0;

	pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	if (!fast && mmap_read_lock_killable(current->mm)) {
		kvfree(pages);
		return -EINTR;
	}
	t0 = ktime_get();
	while (got < npages && nr == chunk && chunk) {
		nr = min_t(unsigned long, chunk, npages - got);
		if (fast)
			nr = get_user_pages_fast(addr, nr, gup->gup_flags & FOLL_WRITE,
						 pages + got);
		else
			nr = pintest_get_user_pages(addr, nr,
						    gup->gup_flags & FOLL_WRITE,
						    pages + got);
		if (nr <= 0)
			break;
		got += nr;
		addr += nr << PAGE_SHIFT;
	}
	gup->get_delta_usec = ktime_us_delta(ktime_get(), t0);
	gup->size = got << PAGE_SHIFT;
	if (cmd == DUMP_USER_PAGES_TEST)
		pintest_gup_dump(gup, pages, NULL, got);
	t0 = ktime_get();
	while (got)
		put_page(pages[--got]);
	gup->put_delta_usec = ktime_us_delta(ktime_get(), t0);
	if (!fast)
		mmap_read_unlock(current->mm);
	kvfree(pages);
	return 0;
}

/*
 * The pinning requests: a range of pintest's, all or nothing, with
 * @method.  EINTR, ENOMEM; else 0, with what was covered.
 */
static int pintest_gup_pin(unsigned int cmd, struct gup_test *gup,
			   unsigned long npages, unsigned int method)
{
	unsigned int flags = method;
	struct pintest_range *range;
	ktime_t t0;
	u64 ns;
	int ret;

	if (cmd == PIN_LONGTERM_BENCHMARK)
		flags |= PINTEST_PIN_LONGTERM;
	flags |= pintest_gup_pin_flags(gup->gup_flags);
	t0 = ktime_get();
	ret = npages ? pintest_pin_pages(gup->addr & PAGE_MASK, npages, flags,
					 gup->nr_pages_per_call, &range, &ns) :
		       -ENOENT;
	gup->get_delta_usec = ktime_us_delta(ktime_get(), t0);
	gup->put_delta_usec = 0;
	if (ret) {
		gup->size = 0;
		return ret == -EINTR || ret == -ENOMEM ? ret : 0;
	}
	gup->size = npages << PAGE_SHIFT;
	pintest_gup_verify(range, flags & PINTEST_PIN_LONGTERM);
	if (cmd == DUMP_USER_PAGES_TEST)
		pintest_gup_dump(gup, NULL, range, npages);
	t0 = ktime_get();
	pintest_range_put(range);
	gup->put_delta_usec = ktime_us_delta(ktime_get(), t0);
	return 0;
}

static int pintest_gup_request(unsigned int cmd, struct gup_test __user *ugup)
{
	unsigned long end, npages;
	struct gup_test gup;
	int ret;

	if (copy_from_user(&gup, ugup, sizeof(gup)))
		return -EFAULT;
	if (gup.addr > ULONG_MAX || gup.size > ULONG_MAX)
		return -EINVAL;
	if (gup.gup_flags & FOLL_FORCE)
		return -EINVAL;
	npages = gup.size >> PAGE_SHIFT;
	if (check_add_overflow((unsigned long)gup.addr,
			       (unsigned long)gup.size, &end)) {
		if (PINTEST_GUP_TEST_WRAP_EINVAL)
			return -EINVAL;
		npages = 0;	/* as before: a range that wraps covers nothing */
	}

	switch (cmd) {
	case GUP_FAST_BENCHMARK:
	case GUP_BASIC_TEST:
		ret = pintest_gup_get(cmd, &gup, npages);
		break;
	case DUMP_USER_PAGES_TEST:
		ret = gup.test_flags & GUP_TEST_FLAG_DUMP_PAGES_USE_PIN ?
		      pintest_gup_pin(cmd, &gup, npages, PINTEST_PIN_LOCKED) :
		      pintest_gup_get(cmd, &gup, npages);
		break;
	case PIN_FAST_BENCHMARK:
		ret = pintest_gup_pin(cmd, &gup, npages, PINTEST_PIN_FAST);
		break;
	default:	/* PIN_BASIC_TEST, PIN_LONGTERM_BENCHMARK */
		ret = pintest_gup_pin(cmd, &gup, npages, PINTEST_PIN_LOCKED);
		break;
	}
	if (ret)
		return ret;
	return copy_to_user(ugup, &gup, sizeof(gup)) ? -EFAULT : 0;
}

/* PIN_LONGTERM_TEST_START, under @gf->lock. */
static int pintest_gup_longterm_start(struct pintest_gup_file *gf,
				      struct pin_longterm_test __user *uargs)
{
	struct pin_longterm_test args;
	unsigned int flags = PINTEST_PIN_LONGTERM;
	u64 ns;

	lockdep_assert_held(&gf->lock);
	if (gf->longterm)
		return -EINVAL;
	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(PIN_LONGTERM_TEST_FLAG_USE_WRITE |
			   PIN_LONGTERM_TEST_FLAG_USE_FAST) ||
	    !PAGE_ALIGNED(args.addr | args.size) || args.size > LONG_MAX ||
	    !args.size)
		return -EINVAL;
	if (args.flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE)
		flags |= PINTEST_PIN_WRITE;
	flags |= args.flags & PIN_LONGTERM_TEST_FLAG_USE_FAST ?
		 PINTEST_PIN_FAST : PINTEST_PIN_LOCKED;
	return pintest_pin_pages(args.addr, args.size >> PAGE_SHIFT, flags,
				 PINTEST_PIN_CHUNK, &gf->longterm, &ns);
}

/* PIN_LONGTERM_TEST_READ, under @gf->lock: the pinned pages' bytes. */
static int pintest_gup_longterm_read(struct pintest_gup_file *gf,
				     u64 __user *uaddr)
{
	struct pintest_walk walk = { .op = PINTEST_DMA_READ };
	u64 addr;

	lockdep_assert_held(&gf->lock);
	if (!gf->longterm)
		return -EINVAL;
	if (copy_from_user(&addr, uaddr, sizeof(addr)))
		return -EFAULT;
	walk.length = (u64)gf->longterm->npages << PAGE_SHIFT;
	walk.buf = u64_to_user_ptr(addr);
	return pintest_dma(gf->longterm, &walk);
}

/* PIN_LONGTERM_TEST_STOP, under @gf->lock. */
static void pintest_gup_longterm_stop(struct pintest_gup_file *gf)
{
	lockdep_assert_held(&gf->lock);
	if (gf->longterm)
		pintest_range_put(gf->longterm);
	gf->longterm = NULL;
}

static long pintest_gup_longterm(struct pintest_gup_file *gf, unsigned int cmd,
				 void __user *arg)
{
	int ret = 0;

	if (mutex_lock_killable(&gf->lock))
		return -EINTR;
	switch (cmd) {
	case PIN_LONGTERM_TEST_START:
		ret = pintest_gup_longterm_start(gf, arg);
		break;
	case PIN_LONGTERM_TEST_STOP:
		pintest_gup_longterm_stop(gf);
		break;
	default:
		ret = pintest_gup_longterm_read(gf, arg);
		break;
	}
	mutex_unlock(&gf->lock);
	return ret;
}

static long pintest_gup_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case GUP_FAST_BENCHMARK:
	case PIN_FAST_BENCHMARK:
	case PIN_LONGTERM_BENCHMARK:
	case GUP_BASIC_TEST:
	case PIN_BASIC_TEST:
	case DUMP_USER_PAGES_TEST:
		return pintest_gup_request(cmd, (void __user *)arg);
	case PIN_LONGTERM_TEST_START:
	case PIN_LONGTERM_TEST_STOP:
	case PIN_LONGTERM_TEST_READ:
		/* the kernel's gup_test has them since 6.2 */
		if (!PINTEST_HAVE_GUP_LONGTERM_TEST)
			return -EINVAL;
		return pintest_gup_longterm(file->private_data, cmd,
					    (void __user *)arg);
	default:
		return -EINVAL;
	}
}

static int pintest_gup_open(struct inode *inode, struct file *file)
{
	struct pintest_gup_file *gf = kzalloc(sizeof(*gf), GFP_KERNEL);

	if (!gf)
		return -ENOMEM;
	mutex_init(&gf->lock);
	file->private_data = gf;
	return nonseekable_open(inode, file);
}

static int pintest_gup_release(struct inode *inode, struct file *file)
{
	struct pintest_gup_file *gf = file->private_data;

	if (gf->longterm)
		pintest_range_put(gf->longterm);
	mutex_destroy(&gf->lock);
	kfree(gf);
	return 0;
}

static const struct file_operations pintest_gup_fops = {
	.owner = THIS_MODULE,
	.open = pintest_gup_open,
	.release = pintest_gup_release,
	.unlocked_ioctl = pintest_gup_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* Whether the kernel has its own (CONFIG_GUP_TEST). */
static bool pintest_kernel_has_gup_test(void)
{
	struct dentry *theirs = debugfs_lookup("gup_test", NULL);

	if (IS_ERR_OR_NULL(theirs))
		return false;
	dput(theirs);
	return true;
}

/* The file, as the gup_test parameter says; @dir is pintest's directory. */
int pintest_guptest_init(struct dentry *dir)
{
	bool theirs = pintest_kernel_has_gup_test();

	if (!strcmp(pintest_gup_test_mode, "off"))
		return 0;
	if (strcmp(pintest_gup_test_mode, "on") &&
	    strcmp(pintest_gup_test_mode, "auto")) {
		pr_err("gup_test=%s: auto, on or off\n", pintest_gup_test_mode);
		return -EINVAL;
	}
	if (theirs && strcmp(pintest_gup_test_mode, "on")) {
		pr_info("the kernel has its own gup_test: pintest's stays off\n");
		return 0;
	}
	pintest_gup_test_file = debugfs_create_file("gup_test", 0600,
						    theirs ? dir : NULL, NULL,
						    &pintest_gup_fops);
	if (!theirs)
		pintest_gup_test_link = debugfs_create_symlink("gup_test", dir,
							       "../gup_test");
	pr_info("gup_test at /sys/kernel/debug/%sgup_test\n",
		theirs ? "pintest/" : "");
	return 0;
}

void pintest_guptest_exit(void)
{
	debugfs_remove(pintest_gup_test_link);
	debugfs_remove(pintest_gup_test_file);
}
