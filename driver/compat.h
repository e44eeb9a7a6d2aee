/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for kernel-version differences (coding-style: no #if in
 * .c files).  See shared research: the vmas argument went away in 6.5, the
 * exact pin count moved into struct folio in 6.3.
 */
#ifndef _PINTEST_COMPAT_H
#define _PINTEST_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>

/* What INFO reports as the kernel the module was built for. */
#define PINTEST_BUILT_FOR	LINUX_VERSION_CODE

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

/* Only meaningful for large folios: small ones count pins in _refcount. */
static inline int pintest_folio_pincount(struct folio *folio)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return atomic_read(folio_pincount_ptr(folio));
#else
	return atomic_read(&folio->_pincount);
#endif
}

static inline int pintest_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}

#endif /* _PINTEST_COMPAT_H */
