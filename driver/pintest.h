/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pintest internals: the objects behind /dev/pintest, bottom up.
 *
 *   slots.c    how a range stores its pages (folio ranges), and walking them
 *   range.c    struct pintest_range: life, references, bounds
 *   remote.c   the mm a REMOTE pin takes: a pidfd's process, ptrace's rule
 *   pin.c      taking a pin: pin_user_pages*() into a new range
 *   memfd.c    taking a pin by file offset: memfd_pin_folios()
 *   dma.c      the simulated device: a walk that copies or checks bytes
 *   edu.c      the real device (QEMU's edu PCI device): its binding and
 *              removal, its transfers, its DMA API mappings
 *   devmap.c   DEVICE_MAP, DEVICE_DMA, DEVICE_UNMAP: a pin's pages mapped
 *              for the real device, bytes bounced through it
 *   writer.c   the in-flight writer: the walk again and again, in a work
 *   page.c     QUERY and PROBE: what the kernel thinks of a page
 *   handles.c  struct pintest_file: the handle table of one open()
 *   guptest.c  /sys/kernel/debug/gup_test where the kernel has none
 *   bench.c    /sys/kernel/debug/pintest: the baselines of make bench
 *   main.c     the module, the device and the ioctl dispatch
 *
 * Each file calls only those above it in this list (main.c calls all);
 * make lint checks it on the objects' symbols (scripts/check-layers).
 * Lookups by handle happen in main.c, which hands the range down with a
 * reference held; only handles.c drops the table's reference, and it
 * stops the range's writer first.
 */
#ifndef _PINTEST_H
#define _PINTEST_H

#include <linux/dcache.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/pintest.h>

/* Pages per pin_user_pages*() call: gup-fast keeps IRQs off for a call. */
#define PINTEST_PIN_CHUNK	512

/* The first version of struct pintest_page; callers may not pass less. */
#define PINTEST_PAGE_ENTRY_MIN	32
/* Callers may not pass more: each entry's tail is cleared in user memory. */
#define PINTEST_PAGE_ENTRY_MAX	256

/**
 * struct pintest_writer - the in-flight writer of a range (DMA_START)
 * @work: one pass per run; it queues itself again until done
 * @lock: serialises START, STOP and the end of the range's life
 * @dead: the range left its table; no writer may start (under @lock)
 * @running: set by START under @lock, cleared by the work when it ends
 *	by itself (release store) or by whoever cancelled it
 * @nr_running: the owning file's count of running writers, which START
 *	raised and whoever clears @running lowers
 * @device: the real device writes, one transfer per run of @work, through
 *	the range's mapping for device writes; else the CPU, a pass per run
 * @offset: where each pass starts, from the start of the range
 * @length: bytes each pass fills
 * @pos: bytes of the current pass done (@device only); written by the
 *	work only
 * @seed: the pattern seed
 * @count: passes to write, 0 for no limit
 * @deadline: jiffies after which no pass starts
 * @passes: passes done; written by the work only
 * @bytes: bytes written; written by the work only
 */
struct pintest_writer {
	struct work_struct work;
	struct mutex lock;	/* see @lock above */
	bool dead;
	bool running;
	atomic_t *nr_running;
	bool device;
	u64 offset;
	u64 length;
	u64 pos;
	u64 seed;
	u64 count;
	unsigned long deadline;
	u64 passes;
	u64 bytes;
};

/**
 * struct pintest_range - the pages of one PIN ioctl
 * @ref: the handle table holds one reference, every ioctl using the range
 *	one for its duration, each of its device mappings one (devmap.c);
 *	a gup_test pin (guptest.c) is held by its call or file alone.  The
 *	last put unpins the pages (process context only: unpinning dirty
 *	may sleep in folio_lock())
 * @mm: the mm whose pinned_vm was charged @npages (mmgrab()ed)
 * @addr: user address the range was pinned at; 0 for a pin by file
 * @npages: number of pages pinned
 * @writable: pinned with FOLL_WRITE; only then may the "device" write
 * @by_folio: memfd_pin_folios() pinned each folio once, however many of
 *	its pages the range holds; otherwise each page holds a pin
 * @dirty_on_release: set before the table's reference is dropped, read by
 *	the final put
 * @writer: the in-flight writer, stopped before the table's reference goes
 * @devmaps: its mappings for the device (devmap.c), under
 *	pintest_devmaps_lock; torn down before the table's reference goes
 * @devmaps_closed: the range left its table, so no DEVICE_MAP may add to
 *	@devmaps any more (under pintest_devmaps_lock)
 * @nr_slots: used entries of @slots; equal to @npages when no run is stored
 * @cap_slots: allocated entries of @slots
 * @slots: the pinned pages as folio ranges (see slots.c); walk them with a
 *	struct pintest_cursor
 */
struct pintest_range {
	struct kref ref;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long npages;
	bool writable;
	bool by_folio;
	bool dirty_on_release;
	struct pintest_writer writer;
	struct list_head devmaps;
	bool devmaps_closed;
	unsigned long nr_slots;
	unsigned long cap_slots;
	struct page **slots;
};

/**
 * struct pintest_cursor - a position in a range's pages
 * @slots: the range's slots
 * @slot: the slot holding the page at the cursor
 * @in_run: the page's index inside that slot's run, 0 for a single page
 */
struct pintest_cursor {
	struct page * const *slots;
	unsigned long slot;
	unsigned long in_run;
};

/**
 * struct pintest_file - one open file description of /dev/pintest
 * @pins: handle -> struct pintest_range.  A handle being created holds
 *	XA_ZERO_ENTRY, which lookups and UNPIN see as no pin.  The xarray's
 *	own spinlock serialises insertion, removal and the reference a
 *	lookup takes.
 * @show_pfn: the opener had CAP_SYS_ADMIN, so QUERY and PROBE show page
 *	frame numbers (decided once, at open, as /proc/PID/pagemap does)
 * @nr_writers: writers running on this file's ranges
 * @maps: mapping id -> struct pintest_devmap (DEVICE_MAP); the xarray's
 *	own spinlock serialises insertion, removal and the reference a
 *	lookup takes.  A mapping being created holds XA_ZERO_ENTRY until
 *	its DEVICE_MAP has told the caller its id.
 */
struct pintest_file {
	struct xarray pins;
	bool show_pfn;
	atomic_t nr_writers;
	struct xarray maps;
};

/**
 * struct pintest_walk - one transfer of the simulated device
 * @op: enum pintest_dma_op
 * @offset: byte offset from the start of the range
 * @length: bytes to transfer
 * @buf: the user buffer of WRITE and READ
 * @seed: the pattern seed of FILL and VERIFY
 * @mismatches: VERIFY: bytes that differ from the pattern
 * @first_mismatch: VERIFY: offset of the first, ~0 when none
 */
struct pintest_walk {
	u32 op;
	u64 offset;
	u64 length;
	void __user *buf;
	u64 seed;
	u64 mismatches;
	u64 first_mismatch;
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
extern unsigned int pintest_max_writers;
extern unsigned int pintest_writer_max_ms;

/* slots.c */
#define PINTEST_NO_RUN	ULONG_MAX
int pintest_slots_reserve(struct pintest_range *range, unsigned long done,
			  unsigned long need);
int pintest_slots_resize(struct pintest_range *range, unsigned long cap);
void pintest_slots_fold(struct pintest_range *range, unsigned long got,
			unsigned long *last_run);
void pintest_slots_unpin(struct page **slots, unsigned long nr_slots,
			 bool dirty);
unsigned long pintest_slots_add_folio(struct pintest_range *range,
				      struct folio *folio, unsigned long first,
				      unsigned long max);
void pintest_slots_unpin_folios(struct page **slots, unsigned long nr_slots,
				bool dirty);
void pintest_range_seek(const struct pintest_range *range,
			unsigned long pgoff, struct pintest_cursor *cur);
struct page *pintest_range_next(struct pintest_cursor *cur);

/* range.c */
int pintest_check_extent(u64 start, u64 length, unsigned long *npages);
int pintest_check_user_range(u64 addr, u64 length, unsigned long *npages);
int pintest_range_check_bytes(const struct pintest_range *range, u64 offset,
			      u64 length);
int pintest_range_check_pages(const struct pintest_range *range, u64 first,
			      u64 count);
size_t pintest_range_bytes(const struct pintest_range *range);
struct pintest_range *pintest_range_alloc(unsigned long addr,
					  unsigned long npages,
					  bool writable);
void pintest_range_unpin(struct pintest_range *range, bool dirty);
void pintest_range_get(struct pintest_range *range);
void pintest_range_put(struct pintest_range *range);

/* remote.c */
struct mm_struct *pintest_remote_mm(int pidfd);

/* pin.c */
int pintest_pin(const struct pintest_pin *cmd, struct pintest_range **out,
		u64 *pin_ns);
int pintest_pin_pages(unsigned long addr, unsigned long npages,
		      unsigned int flags, unsigned long chunk,
		      struct pintest_range **out, u64 *pin_ns);

/* memfd.c */
int pintest_pin_memfd(const struct pintest_pin_memfd *cmd,
		      struct pintest_range **out, u64 *pin_ns, u64 *nfolios);

/* dma.c */
int pintest_walk_step(u8 *kaddr, u64 pos, size_t n, u64 done,
		      struct pintest_walk *walk);
bool pintest_walk_writes(const struct pintest_walk *walk);
int pintest_dma(struct pintest_range *range, struct pintest_walk *walk);

/* writer.c */
void pintest_writer_init(struct pintest_writer *w, atomic_t *nr_running);
int pintest_writer_start(struct pintest_range *range,
			 const struct pintest_dma_start *cmd);
void pintest_writer_stop(struct pintest_range *range, u64 *passes,
			 u64 *bytes);
void pintest_writer_kill(struct pintest_range *range);
int pintest_writer_wq_init(void);
void pintest_writer_wq_exit(void);

/* page.c */
int pintest_query(struct pintest_range *range, struct pintest_query *cmd,
		  bool show_pfn);
int pintest_probe(struct pintest_probe *cmd, bool show_pfn);

/* The most bytes of one transfer of the real device (edu.c). */
#define PINTEST_EDU_XFER_MAX	2048

/**
 * struct pintest_edu_map - pages mapped for the real device
 * @sgt: the pages, and their bus addresses while @mapped
 * @dir: the direction they are mapped in
 * @node: in the device's list of mappings while @mapped
 * @mapped: mapped for the device; cleared when unmapped or when the
 *	device's removal revoked it (under the device's lock; devmap.c
 *	reads it without, as a hint)
 */
struct pintest_edu_map {
	struct sg_table sgt;
	enum dma_data_direction dir;
	struct list_head node;
	bool mapped;
};

/* edu.c */
struct pintest_edu;
struct pintest_edu *pintest_edu_get(void);
void pintest_edu_put(struct pintest_edu *edu);
size_t pintest_edu_max_segment(struct pintest_edu *edu);
u32 pintest_edu_path(struct pintest_edu *edu, u32 *dma_bits);
int pintest_edu_map(struct pintest_edu *edu, struct pintest_edu_map *map);
void pintest_edu_unmap(struct pintest_edu *edu, struct pintest_edu_map *map);
int pintest_edu_sync(struct pintest_edu *edu, struct pintest_edu_map *map,
		     bool for_device);
int pintest_edu_copy(struct pintest_edu *edu, struct pintest_edu_map *map,
		     dma_addr_t bus, void *buf, size_t n, bool to_ram);
int pintest_edu_init(void);
void pintest_edu_exit(void);

/* devmap.c */
u32 pintest_device_path(u32 *dma_bits);
struct pintest_devmap;
int pintest_device_map(struct xarray *maps, struct pintest_range *range,
		       u32 flags, bool show_bus, struct pintest_devmap **mapp,
		       u32 *id, u32 *segments, u64 *bus);
void pintest_device_map_publish(struct xarray *maps,
				struct pintest_devmap *map);
void pintest_device_map_abort(struct xarray *maps, struct pintest_devmap *map);
int pintest_device_can_write(struct pintest_range *range);
int pintest_device_fill_step(struct pintest_range *range, u64 offset,
			     u64 length, u64 seed, u64 *done);
int pintest_device_dma(struct xarray *maps, u32 id, bool sync,
		       struct pintest_walk *walk, u64 *transfers);
int pintest_device_dma_bus(struct pintest_walk *walk, u64 *transfers);
int pintest_device_unmap(struct xarray *maps, u32 id);
void pintest_device_unmap_range(struct xarray *maps,
				struct pintest_range *range);

/* handles.c */
void pintest_file_init(struct pintest_file *pf, bool show_pfn);
int pintest_handle_reserve(struct pintest_file *pf, u32 *handle);
void pintest_handle_abort(struct pintest_file *pf, u32 handle);
void pintest_handle_publish(struct pintest_file *pf, u32 handle,
			    struct pintest_range *range);
struct pintest_range *pintest_handle_get(struct pintest_file *pf, u32 handle);
int pintest_handle_unpin(struct pintest_file *pf, u32 handle, bool dirty);
void pintest_file_release(struct pintest_file *pf);

/* guptest.c */
int pintest_guptest_init(struct dentry *dir);
void pintest_guptest_exit(void);

/* bench.c */
void pintest_bench_init(struct dentry *dir);

#endif /* _PINTEST_H */
