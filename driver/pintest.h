/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pintest internals: the objects behind /dev/pintest.
 *
 * A struct pintest_file is one open() of the device.  It owns a table of
 * struct pinned_range, each the pages of one PIN ioctl, named by a handle.
 * A range is released exactly once, when its last reference goes: the
 * table holds one, and every ioctl that uses the range holds one for its
 * duration.  So UNPIN or close() racing with a DMA on the same handle is
 * safe: the DMA finishes on pages that are still pinned and its put
 * releases them.
 */
#ifndef _PINTEST_H
#define _PINTEST_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/pintest.h>

/* Pages per pin_user_pages*() call: gup-fast keeps IRQs off for a call. */
#define PINTEST_PIN_CHUNK	512

/* The first version of struct pintest_page; callers may not pass less. */
#define PINTEST_PAGE_ENTRY_MIN	32

/**
 * struct pintest_file - one open file description of /dev/pintest
 * @pins: handle -> struct pinned_range.  The xarray's own spinlock
 *	serialises insertion, removal and the reference a lookup takes.
 */
struct pintest_file {
	struct xarray pins;
};

/**
 * struct dma_writer - the in-flight writer of a pin (DMA_START)
 * @work: one pass per run; it queues itself again until done
 * @lock: serialises START, STOP and the release of the pin
 * @dead: the pin is being released; no writer may start (under @lock)
 * @running: set by START under @lock, cleared by the work when it ends
 *	by itself (release store) or by whoever cancelled it
 * @offset: where each pass starts, from the start of the pin
 * @length: bytes each pass fills
 * @seed: the pattern seed
 * @count: passes to write, 0 for no limit
 * @deadline: jiffies after which no pass starts, 0 for no limit
 * @passes: passes done; written by the work only
 * @bytes: bytes written; written by the work only
 */
struct dma_writer {
	struct work_struct work;
	struct mutex lock;	/* see @lock above */
	bool dead;
	bool running;
	u64 offset;
	u64 length;
	u64 seed;
	u64 count;
	unsigned long deadline;
	u64 passes;
	u64 bytes;
};

/**
 * struct pinned_range - the pages of one PIN ioctl
 * @ref: see the comment at the top of this file
 * @mm: the mm whose pinned_vm was charged @npages (mmgrab()ed)
 * @addr: user address the range was pinned at
 * @npages: number of pages pinned
 * @writable: pinned with FOLL_WRITE; only then may the "device" write
 * @dirty_on_release: set by UNPIN before it drops the table's reference,
 *	read by the final put
 * @writer: the in-flight writer; stopped before the table's reference goes
 * @nr_slots: used entries of @slots; equal to @npages when no run is stored
 * @cap_slots: allocated entries of @slots
 * @slots: the pinned pages as folio ranges (see slots.c); walk them with a
 *	struct range_cursor
 */
struct pinned_range {
	struct kref ref;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long npages;
	bool writable;
	bool dirty_on_release;
	struct dma_writer writer;
	unsigned long nr_slots;
	unsigned long cap_slots;
	struct page **slots;
};

/**
 * struct range_cursor - a position in a pinned range's pages
 * @slots: the range's slots
 * @slot: the slot holding the page at the cursor
 * @in_run: the page's index inside that slot's run, 0 for a single page
 */
struct range_cursor {
	struct page * const *slots;
	unsigned long slot;
	unsigned long in_run;
};

/* Module-wide counters, reported by STATS and in sysfs. */
struct pintest_counters {
	atomic64_t live_pins;
	atomic64_t live_pages;
	atomic64_t total_pins;
	atomic64_t total_pages;
	atomic64_t total_unpins;
	atomic64_t errors;
	atomic64_t dma_bytes;
	atomic64_t bookkeeping_bytes;
};

extern struct pintest_counters pintest_counters;
extern unsigned int pintest_max_pin_pages;
extern unsigned int pintest_max_handles;

/* pin.c */
int pintest_check_range(u64 addr, u64 length, unsigned long *npages);
int pintest_pin(struct pintest_file *pf, struct pintest_pin *cmd);
int pintest_unpin(struct pintest_file *pf, u32 handle, bool dirty);
size_t pintest_range_bytes(const struct pinned_range *range);
struct pinned_range *pintest_range_get(struct pintest_file *pf, u32 handle);
void pintest_range_put(struct pinned_range *range);
void pintest_release_all(struct pintest_file *pf);

/* slots.c */
#define NO_RUN	ULONG_MAX
int pintest_slots_reserve(struct pinned_range *range, unsigned long done,
			  unsigned long need);
int pintest_slots_resize(struct pinned_range *range, unsigned long cap);
void pintest_slots_fold(struct pinned_range *range, unsigned long got,
			unsigned long *last_run);
void pintest_slots_unpin(struct page **slots, unsigned long nr_slots,
			 bool dirty);
void pintest_range_seek(const struct pinned_range *range, unsigned long pgoff,
			struct range_cursor *cur);
struct page *pintest_range_next(struct range_cursor *cur);

/* page.c */
int pintest_query(struct pintest_file *pf, struct pintest_query *cmd);
int pintest_probe(struct pintest_probe *cmd);

/* dma.c */
int pintest_dma(struct pintest_file *pf, struct pintest_dma *cmd);
int pintest_check_span(const struct pinned_range *range, u64 offset,
		       u64 length);
void pintest_fill_range(struct pinned_range *range, u64 offset, u64 length,
			u64 seed);

/* bench.c */
void pintest_bench_init(void);
void pintest_bench_exit(void);

/* writer.c */
void pintest_writer_init(struct pinned_range *range);
int pintest_writer_start(struct pintest_file *pf,
			 struct pintest_dma_start *cmd);
int pintest_writer_stop(struct pintest_file *pf, struct pintest_dma_stop *cmd);
void pintest_writer_kill(struct pinned_range *range);

#endif /* _PINTEST_H */
