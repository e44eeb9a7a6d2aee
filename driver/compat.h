/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for kernel-version differences (coding-style: no #if in
 * .c files): the vmas argument of pin_user_pages() went away in 6.5, the
 * exact pin count moved into struct folio in 6.3, page_mapcount() went
 * away and the unaligned helpers moved in 6.12, nth_page() went away by 7.3,
 * memfd_pin_folios() and unpin_folios() came in 6.10, pidfds moved to
 * pidfs in 6.9 and dumpability from the mm to the task's exec state by 7.3;
 * and configuration differences: the zones a kernel has, CONFIG_CMA.
 */
#ifndef _PINTEST_COMPAT_H
#define _PINTEST_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/pintest.h>
/* by 7.3 the dumpability is the task's exec state's: SUID_DUMP_* are gone */
#ifndef SUID_DUMP_USER
#include <linux/sched/exec_state.h>
#endif

/* <asm/unaligned.h> moved to <linux/unaligned.h> in 6.12. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
#endif

/*
 * The page @n pages after @page in the same folio.  nth_page() (a macro)
 * is gone by 7.3, whose folio_page() is plain pointer arithmetic: the
 * struct pages of a folio are contiguous in every memory model left.
 */
#ifdef nth_page
#define pintest_nth_page(page, n)	nth_page(page, n)
#else
#define pintest_nth_page(page, n)	((page) + (n))
#endif

/*
 * A zeroed object of the type @obj names: kzalloc_obj() from 7.x on
 * (checkpatch prefers it there), kzalloc(sizeof()) before.
 */
#ifdef kzalloc_obj
#define pintest_kzalloc_obj(obj, gfp)	kzalloc_obj(obj, gfp)
#else
#define pintest_kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

/* What INFO reports as the kernel the module was built for. */
#define PINTEST_BUILT_FOR	LINUX_VERSION_CODE

/*
 * Methods that take FOLL_LONGTERM: before 6.2 get_user_pages_unlocked()
 * refuses it with a WARN_ON_ONCE(), so pintest must refuse it first.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define PINTEST_LONGTERM_METHODS \
	(PINTEST_PIN_FAST | PINTEST_PIN_LOCKED | PINTEST_PIN_REMOTE)
#else
#define PINTEST_LONGTERM_METHODS	PINTEST_PIN_METHODS
#endif

static inline long pintest_get_user_pages(unsigned long start,
					  unsigned long nr_pages,
					  unsigned int gup_flags,
					  struct page **pages)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return get_user_pages(start, nr_pages, gup_flags, pages, NULL);
#else
	return get_user_pages(start, nr_pages, gup_flags, pages);
#endif
}

/* gup_test's PIN_LONGTERM_TEST_START, _STOP and _READ came with 6.2. */
#define PINTEST_HAVE_GUP_LONGTERM_TEST \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0))
/*
 * gup_test refuses a range whose end wraps with EINVAL in 7.3 (6.12's
 * covers nothing); the first 7.x is taken as where that began.
 */
#define PINTEST_GUP_TEST_WRAP_EINVAL \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0))

static inline long pintest_pin_user_pages(unsigned long start,
					  unsigned long nr_pages,
					  unsigned int gup_flags,
					  struct page **pages)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr_pages, gup_flags, pages);
#endif
}

/*
 * pin_user_pages_remote() with the target's mmap_lock held for read; the
 * lock is dropped, and *@locked cleared, only where the kernel had to.
 * The vmas argument went away in 6.5; before 6.3 FOLL_LONGTERM with
 * @locked is refused (WARN_ON_ONCE, EINVAL), so there the lock is kept.
 */
static inline long pintest_pin_user_pages_remote(struct mm_struct *mm,
						 unsigned long start,
						 unsigned long nr_pages,
						 unsigned int gup_flags,
						 struct page **pages,
						 int *locked)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL,
				     gup_flags & FOLL_LONGTERM ? NULL : locked);
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#endif
}

/*
 * The struct pid a pidfd holds, NULL for any other file; pidfd_pid() is
 * not exported.  From 6.9 on a pidfd is a pidfs file and its inode holds
 * the pid; before (or without pidfs) it is an anonymous inode's file
 * named "[pidfd]" holding it in private_data.
 */
static inline struct pid *pintest_pidfd_pid(struct file *file)
{
	struct inode *inode = file_inode(file);

#ifdef PID_FS_MAGIC
	if (inode->i_sb->s_magic == PID_FS_MAGIC)
		return inode->i_private;
#endif
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return file->private_data;
	return NULL;
}

/*
 * Whether @task (whose mm is @mm) is dumpable by its owner, which ptrace
 * asks of every PEEKDATA and POKEDATA: its mm holds it before 7.x, its
 * exec state (not exported) by 7.3.
 */
static inline bool pintest_owner_dumpable(struct task_struct *task,
					  struct mm_struct *mm)
{
#ifndef SUID_DUMP_USER
	const struct task_exec_state *es;
	bool ret;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	ret = es && READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return ret;
#else
	return get_dumpable(mm) == SUID_DUMP_USER;
#endif
}

/* Only meaningful for large folios: small ones count pins in _refcount. */
static inline int pintest_folio_pincount(struct folio *folio)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return atomic_read(folio_pincount_ptr(folio));
#else
	return atomic_read(&folio->_pincount);
#endif
}

/*
 * page_mapcount() is gone in 6.12; this is what mm/internal.h calls
 * folio_precise_page_mapcount() there: the page's own PTE mappings plus
 * the PMD (entire) mappings of its folio.
 */
static inline int pintest_page_mapcount(struct page *page)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	return page_mapcount(page);
#else
	struct folio *folio = page_folio(page);
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (folio_test_large(folio))
		mapcount += folio_entire_mapcount(folio);
	return mapcount;
#endif
}

/*
 * Pinning by file offset, as udmabuf does: memfd_pin_folios() and its
 * release, unpin_folios(), came in 6.10.  Before, PIN_MEMFD is refused
 * and no range is ever released by folio.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define PINTEST_HAVE_MEMFD_PIN	true

static inline long pintest_memfd_pin_folios(struct file *memfd, loff_t start,
					    loff_t end, struct folio **folios,
					    unsigned int max_folios,
					    pgoff_t *offset)
{
	return memfd_pin_folios(memfd, start, end, folios, max_folios, offset);
}

static inline void pintest_unpin_folios(struct folio **folios,
					unsigned long nfolios)
{
	unpin_folios(folios, nfolios);
}
#else
#define PINTEST_HAVE_MEMFD_PIN	false

static inline long pintest_memfd_pin_folios(struct file *memfd, loff_t start,
					    loff_t end, struct folio **folios,
					    unsigned int max_folios,
					    pgoff_t *offset)
{
	return -EOPNOTSUPP;
}

static inline void pintest_unpin_folios(struct folio **folios,
					unsigned long nfolios)
{
	unsigned long i;

	for (i = 0; i < nfolios; i++)
		unpin_user_page(&folios[i]->page);
}
#endif

/*
 * The seals of a shmem or hugetlbfs file.  memfd_get_seals() is not
 * exported (udmabuf, which checks them too, is built in); the inodes of
 * both keep them in a field of their own.
 */
static inline unsigned int pintest_memfd_seals(struct file *file)
{
	struct inode *inode = file_inode(file);

#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return HUGETLBFS_I(inode)->seals;
#endif
	return SHMEM_I(inode)->seals;
}

/* The enum pintest_zone of @page's zone. */
static inline u32 pintest_page_zone(const struct page *page)
{
	switch (page_zonenum(page)) {
#ifdef CONFIG_ZONE_DMA
	case ZONE_DMA:
		return PINTEST_ZONE_DMA;
#endif
#ifdef CONFIG_ZONE_DMA32
	case ZONE_DMA32:
		return PINTEST_ZONE_DMA32;
#endif
	case ZONE_NORMAL:
		return PINTEST_ZONE_NORMAL;
	case ZONE_MOVABLE:
		return PINTEST_ZONE_MOVABLE;
#ifdef CONFIG_ZONE_DEVICE
	case ZONE_DEVICE:
		return PINTEST_ZONE_DEVICE;
#endif
	default:
		return PINTEST_ZONE_OTHER;
	}
}

#ifdef CONFIG_CMA
/*
 * With CONFIG_CMA, folio_is_longterm_pinnable() first reads the folio's
 * pageblock migratetype (MIGRATE_CMA, MIGRATE_ISOLATE), and no kernel
 * pintest builds for exports a way to read it (get_pfnblock_migratetype()
 * in 7.3, get_pfnblock_flags_mask() before).  What a module can tell: a
 * page of a zone that holds no CMA pages is not CMA.
 */
static inline u32 pintest_page_cma_flags(struct page *page)
{
	return zone_cma_pages(page_zone(page)) ? PINTEST_PAGE_CMA_UNKNOWN : 0;
}

/* folio_is_longterm_pinnable() without its migratetype test, as 7.3 has it. */
static inline bool pintest_longterm_pinnable(struct folio *folio)
{
	if (is_zero_pfn(folio_pfn(folio)))
		return true;
	if (folio_is_device_coherent(folio))
		return false;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	if (folio_is_fsdax(folio))
		return false;
#endif
	return folio_zonenum(folio) != ZONE_MOVABLE;
}
#else
/* Without CONFIG_CMA no page is CMA, and the kernel's own test is inline. */
static inline u32 pintest_page_cma_flags(struct page *page)
{
	return 0;
}

static inline bool pintest_longterm_pinnable(struct folio *folio)
{
	return folio_is_longterm_pinnable(folio);
}
#endif

#endif /* _PINTEST_COMPAT_H */
