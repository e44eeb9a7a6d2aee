/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpinctl: a small C library over /dev/pintest, the pintest kernel
 * module's device.  Every function that can fail returns 0 (or a count)
 * on success and a negative errno on failure; none sets errno for you or
 * prints anything.  A struct pinctl holds no more than a file descriptor:
 * several threads may use one context at once, and the pins it holds are
 * released by pinctl_close(), close() of its descriptor or process exit.
 */
#ifndef PINCTL_H
#define PINCTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pinctl;

/* pinctl_pin() flags: at most one of FAST, LOCKED, UNLOCKED, REMOTE (FAST if none) */
#define PINCTL_PIN_WRITE	(1U << 0)
#define PINCTL_PIN_LONGTERM	(1U << 1)
#define PINCTL_PIN_FAST		(1U << 2)
#define PINCTL_PIN_LOCKED	(1U << 3)
#define PINCTL_PIN_UNLOCKED	(1U << 4)
/* in info methods: pinctl_pin_memfd() works (kernel 6.10+); not a flag */
#define PINCTL_PIN_MEMFD	(1U << 5)
/* since 1.3: another process's memory, pinctl_pin2() with res->pidfd */
#define PINCTL_PIN_REMOTE	(1U << 6)

/* since 1.2: the real device (QEMU's edu PCI device), pinctl_info2() */
#define PINCTL_DEVICE_NONE	0	/* no device bound */
#define PINCTL_DEVICE_DIRECT	1	/* bus address = physical address */
#define PINCTL_DEVICE_SWIOTLB	2	/* mask below memory: swiotlb bounces */
#define PINCTL_DEVICE_IOMMU	3	/* a translating IOMMU */

/* pinctl_device_map() flags: what the device may do with the pages */
#define PINCTL_MAP_DEVICE_WRITES	(1U << 0)
#define PINCTL_MAP_DEVICE_READS		(1U << 1)

/* struct pinctl_device_transfer op: what the device does */
#define PINCTL_DEVICE_WRITE	1	/* writes @buf's bytes into the pages */
#define PINCTL_DEVICE_READ	2	/* reads the pages into @buf */
#define PINCTL_DEVICE_FILL	3	/* writes the pattern of @seed */
#define PINCTL_DEVICE_VERIFY	4	/* reads and compares with the pattern */
/* struct pinctl_device_transfer flags */
#define PINCTL_DEVICE_DMA_SYNC	(1U << 0)	/* sync as the DMA API requires */
#define PINCTL_DEVICE_DMA_BUS	(1U << 1)	/* @offset is a bus address, id 0 */

/* pinctl_unpin() flags */
#define PINCTL_UNPIN_DIRTY	(1U << 0)

/* struct pinctl_page flags; see pintest(4) for what each one means */
#define PINCTL_PAGE_PRESENT		(1U << 0)
#define PINCTL_PAGE_MAYBE_DMA_PINNED	(1U << 1)
#define PINCTL_PAGE_ANON		(1U << 2)
#define PINCTL_PAGE_FILE		(1U << 3)
#define PINCTL_PAGE_SHMEM		(1U << 4)
#define PINCTL_PAGE_TRUNCATED		(1U << 5)
#define PINCTL_PAGE_LARGE		(1U << 6)
#define PINCTL_PAGE_HUGETLB		(1U << 7)
#define PINCTL_PAGE_DIRTY		(1U << 8)
#define PINCTL_PAGE_WRITEBACK		(1U << 9)
#define PINCTL_PAGE_LRU			(1U << 10)
#define PINCTL_PAGE_PRIVATE		(1U << 11)
#define PINCTL_PAGE_ZERO		(1U << 12)
#define PINCTL_PAGE_ANON_EXCLUSIVE	(1U << 13)
#define PINCTL_PAGE_PINCOUNT_EXACT	(1U << 14)
#define PINCTL_PAGE_CMA			(1U << 15)	/* ABI version 4 */
#define PINCTL_PAGE_LONGTERM_PINNABLE	(1U << 16)	/* ABI version 4 */
#define PINCTL_PAGE_CMA_UNKNOWN		(1U << 17)	/* ABI version 4 */

/* struct pinctl_page zone (ABI version 4; 0 from an older module) */
#define PINCTL_ZONE_NONE	0	/* no page */
#define PINCTL_ZONE_DMA		1
#define PINCTL_ZONE_DMA32	2
#define PINCTL_ZONE_NORMAL	3
#define PINCTL_ZONE_MOVABLE	4
#define PINCTL_ZONE_DEVICE	5
#define PINCTL_ZONE_OTHER	6	/* ZONE_HIGHMEM */

struct pinctl_info {
	uint32_t abi_version;
	uint32_t page_size;
	uint32_t methods;		/* PINCTL_PIN_FAST | LOCKED | UNLOCKED | MEMFD | REMOTE */
	uint32_t max_pin_pages;
	uint32_t max_handles;
	uint32_t kernel_version;	/* KERNEL_VERSION(a, b, c) */
	uint32_t longterm_methods;	/* the methods that take PINCTL_PIN_LONGTERM */
};

struct pinctl_page {
	uint64_t pfn;		/* 0 unless the caller has CAP_SYS_ADMIN */
	uint32_t flags;		/* PINCTL_PAGE_* */
	uint32_t refcount;
	uint32_t pincount;
	int32_t mapcount;
	uint32_t order;
	uint32_t zone;		/* PINCTL_ZONE_*; was "reserved" */
};

struct pinctl_stats {
	uint64_t live_pins;
	uint64_t live_pages;
	uint64_t total_pins;
	uint64_t total_pages;
	uint64_t total_unpins;
	uint64_t errors;
	uint64_t dma_bytes;
};

/*
 * Since 1.1: answers that can grow.  The caller sets @sz to sizeof() the
 * struct it was built with; the library fills the fields both know and
 * zeroes any it does not, so old callers and old libraries keep working
 * as fields are appended.  An @sz below the first version is -EINVAL.
 */
struct pinctl_info2 {
	size_t sz;
	uint32_t abi_version;
	uint32_t page_size;
	uint32_t methods;
	uint32_t max_pin_pages;
	uint32_t max_handles;
	uint32_t kernel_version;
	uint32_t longterm_methods;
	uint32_t page_entry_size;	/* sizeof(struct pintest_page) in the module */
	uint32_t device_path;		/* since 1.2: PINCTL_DEVICE_* */
	uint32_t device_dma_bits;	/* since 1.2: the device's DMA mask, 0 without */
};

struct pinctl_stats2 {
	size_t sz;
	uint64_t live_pins;
	uint64_t live_pages;
	uint64_t total_pins;
	uint64_t total_pages;
	uint64_t total_unpins;
	uint64_t errors;
	uint64_t dma_bytes;
	uint64_t bookkeeping_bytes;	/* what the module holds for live pins */
};

struct pinctl_pin_result {
	size_t sz;
	uint64_t handle;
	uint64_t npages;
	uint64_t pin_ns;	/* time spent in pin_user_pages*() or memfd_pin_folios() */
	uint64_t nfolios;	/* since 1.2, pinctl_pin_memfd() only: folios
				   pinned, one pin each; 0 from pinctl_pin2() */
	int pidfd;		/* since 1.3, in, pinctl_pin2() with
				   PINCTL_PIN_REMOTE: the process whose memory
				   addr names; left as it was */
};

struct pinctl_unpin_result {
	size_t sz;
	uint64_t unpin_ns;	/* time this UNPIN spent releasing the pin */
};

/* Since 1.2: a pin mapped for the device (dma_map_sgtable()). */
struct pinctl_device_map_result {
	size_t sz;
	uint64_t id;		/* for pinctl_device_dma() and _unmap() */
	uint32_t segments;	/* DMA segments of the mapping */
	uint64_t bus_addr;	/* of the pin's first byte; 0 unless CAP_SYS_ADMIN */
};

/* Since 1.2: one pinctl_device_dma() request and its answer. */
struct pinctl_device_transfer {
	size_t sz;
	unsigned int op;	/* PINCTL_DEVICE_WRITE, READ, FILL, VERIFY */
	unsigned int flags;	/* PINCTL_DEVICE_DMA_SYNC */
	uint64_t offset;	/* from the start of the pin */
	size_t len;
	void *buf;		/* WRITE and READ */
	uint64_t seed;		/* FILL and VERIFY */
	uint64_t mismatches;	/* out, VERIFY: bytes unlike the pattern */
	uint64_t first_mismatch; /* out, VERIFY: the first, ~0 if none */
	uint64_t transfers;	/* out: the device's transfers */
};

int pinctl_open(struct pinctl **ctx, const char *devpath);
void pinctl_close(struct pinctl *ctx);
int pinctl_fd(const struct pinctl *ctx);

int pinctl_info(struct pinctl *ctx, struct pinctl_info *info);
int pinctl_stats(struct pinctl *ctx, struct pinctl_stats *stats);

int pinctl_info2(struct pinctl *ctx, struct pinctl_info2 *info);
int pinctl_stats2(struct pinctl *ctx, struct pinctl_stats2 *stats);

int pinctl_pin(struct pinctl *ctx, const void *addr, size_t len,
	       unsigned int flags, uint64_t *handle);
int pinctl_unpin(struct pinctl *ctx, uint64_t handle, unsigned int flags);
int pinctl_pin2(struct pinctl *ctx, const void *addr, size_t len,
		unsigned int flags, struct pinctl_pin_result *res);
int pinctl_unpin2(struct pinctl *ctx, uint64_t handle, unsigned int flags,
		  struct pinctl_unpin_result *res);
int pinctl_pin_memfd(struct pinctl *ctx, int memfd, uint64_t offset,
		     size_t len, unsigned int flags,
		     struct pinctl_pin_result *res);

int pinctl_device_map(struct pinctl *ctx, uint64_t handle, unsigned int flags,
		      struct pinctl_device_map_result *res);
int pinctl_device_dma(struct pinctl *ctx, uint64_t id,
		      struct pinctl_device_transfer *t);
int pinctl_device_unmap(struct pinctl *ctx, uint64_t id);
/* the in-flight writer on the device, through the pin's writable mapping */
int pinctl_device_start(struct pinctl *ctx, uint64_t handle, uint64_t offset,
			size_t len, uint64_t seed, uint64_t count,
			uint32_t duration_ms);
int pinctl_query(struct pinctl *ctx, uint64_t handle, uint64_t first,
		 uint64_t count, struct pinctl_page *out);
int pinctl_probe(struct pinctl *ctx, const void *addr, size_t len,
		 struct pinctl_page *out);

int pinctl_dma_write(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		     const void *buf, size_t len);
int pinctl_dma_read(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		    void *buf, size_t len);
int pinctl_dma_fill(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		    size_t len, uint64_t seed);
int pinctl_dma_verify(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		      size_t len, uint64_t seed);
int pinctl_dma_compare(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		       size_t len, uint64_t seed, uint64_t *mismatches,
		       uint64_t *first_mismatch);

int pinctl_dma_start(struct pinctl *ctx, uint64_t handle, uint64_t offset,
		     size_t len, uint64_t seed, uint64_t count,
		     uint32_t duration_ms);
int pinctl_dma_stop(struct pinctl *ctx, uint64_t handle, uint64_t *passes,
		    uint64_t *bytes);

void pinctl_pattern_fill(void *buf, uint64_t offset, size_t len,
			 uint64_t seed);
uint64_t pinctl_pattern_check(const void *buf, uint64_t offset, size_t len,
			      uint64_t seed, uint64_t *first_mismatch);

/*
 * Since 1.4: the name of the method @flags selects (pinctl_pin() flags,
 * "fast" when none, or one bit of info's methods), NULL for two methods
 * or an unknown bit; and the method flag a name stands for, or -EINVAL.
 */
const char *pinctl_method_name(unsigned int flags);
int pinctl_method_flag(const char *name, unsigned int *flag);

int pinctl_module_load(const char *ko_path);
int pinctl_module_unload(void);
int pinctl_module_loaded(void);

#ifdef __cplusplus
}
#endif

#endif /* PINCTL_H */
