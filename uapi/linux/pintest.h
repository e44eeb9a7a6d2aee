/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pintest: make the kernel's DMA-pinning API (pin_user_pages*() and
 * friends) testable from userspace through the misc device /dev/pintest.
 */
#ifndef _UAPI_LINUX_PINTEST_H
#define _UAPI_LINUX_PINTEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl takes a pointer to a struct whose first two fields are
 * ``__u32 size`` and ``__u32 flags``, in the style of iommufd.  @size is
 * sizeof() the struct as the caller knows it: a caller built against an
 * older header passes a shorter struct and the kernel treats the missing
 * tail as zero; a caller built against a newer header passes a longer one
 * and the kernel accepts it only if the bytes it does not know are zero.
 * Output fields are written back up to the smaller of the two sizes.
 * Fields named ``__reserved`` must be zero.  Unknown flag bits are refused.
 * Numbers and layouts are never changed; new fields are only appended.
 *
 * Error codes shared by all ioctls:
 *
 * - ENOTTY: unknown ioctl number.
 * - EFAULT: the struct (or a buffer it points to) cannot be read or written.
 * - EINVAL: @size smaller than the first version of the struct, unknown
 *   @flags bits, a non-zero reserved field, or a malformed argument.
 * - E2BIG: @size larger than the kernel's struct with non-zero bytes beyond
 *   it (a field this kernel does not know was used).
 * - ENOENT: the handle does not name a live pin of this file descriptor.
 *
 * Specific to %PINTEST_IOC_PIN:
 *
 * - EINVAL: zero length, address or length not page aligned, more than one
 *   method flag, or %PINTEST_PIN_LONGTERM with a method not in
 *   &pintest_info.out_longterm_methods.
 * - EOVERFLOW: address + length wraps around.
 * - E2BIG: more pages than the module parameter ``max_pin_pages`` allows.
 * - EFAULT: the range is not entirely user memory that can be pinned:
 *   unmapped, PROT_NONE, VM_IO or VM_PFNMAP, or not writable for a
 *   %PINTEST_PIN_WRITE pin.  Nothing stays pinned.
 * - ENOMEM: the pin would exceed RLIMIT_MEMLOCK (callers without
 *   CAP_IPC_LOCK), or memory to record the pinned pages is missing.
 * - ENOSPC: the file descriptor already holds ``max_handles`` pins.
 * - EINTR: a fatal signal arrived during a long pin; nothing stays pinned.
 *
 * Specific to %PINTEST_IOC_PIN with %PINTEST_PIN_REMOTE (ABI version 4):
 *
 * - EINVAL: @pidfd not 0 without %PINTEST_PIN_REMOTE.
 * - EBADF: @pidfd is not an open file descriptor, or not a pidfd.
 * - ESRCH: the process is gone (exited, a zombie, or reaped).
 * - EPERM: the caller is neither the process itself (the same mm) nor its
 *   tracer, or the process is not dumpable by its owner (it changed its
 *   credentials, or runs a setuid or setgid program).
 * - EFAULT: the range is not memory of that process that can be pinned.
 *
 * Specific to %PINTEST_IOC_PIN_MEMFD (ABI version 3), besides those of
 * %PINTEST_IOC_PIN's length checks (EINVAL, EOVERFLOW, E2BIG, ENOMEM,
 * ENOSPC, EINTR):
 *
 * - EOPNOTSUPP: the kernel has no memfd_pin_folios() (before 6.10);
 *   &pintest_info.out_methods then lacks %PINTEST_PIN_MEMFD.
 * - EBADF: @fd is not an open file descriptor, or a %PINTEST_PIN_WRITE pin
 *   names one not open for writing.
 * - EINVAL: a flag other than %PINTEST_PIN_WRITE and %PINTEST_PIN_LONGTERM,
 *   an offset not page aligned, a file that is neither shmem (memfd,
 *   tmpfs) nor hugetlbfs, or a range that ends past the end of the file.
 * - EPERM: a %PINTEST_PIN_WRITE pin of a memfd sealed with F_SEAL_WRITE or
 *   F_SEAL_FUTURE_WRITE (the device must not break the seal; udmabuf
 *   refuses such a memfd too).
 * - ENOMEM: also when a hugetlbfs file has no free huge page to fill a hole.
 *
 * Specific to %PINTEST_IOC_DEVICE_MAP, %PINTEST_IOC_DEVICE_DMA and
 * %PINTEST_IOC_DEVICE_UNMAP (ABI version 3):
 *
 * - ENODEV: no device is bound (&pintest_info.out_device_path is
 *   %PINTEST_DEVICE_NONE), or DEVICE_DMA of a mapping the device's removal
 *   revoked (the device went while it was mapped; DEVICE_UNMAP, UNPIN and
 *   close still release it, and a device bound again does not serve it).
 * - ENOENT: DEVICE_DMA or DEVICE_UNMAP of a mapping this file descriptor
 *   does not hold.
 * - EPERM: a pin taken without %PINTEST_PIN_WRITE mapped for device
 *   writes, or a transfer the mapping's direction does not allow.
 * - EBUSY: the pin is mapped for that direction already, or another
 *   DEVICE_MAP of it in that direction is under way.
 * - ERANGE: a transfer past the end of the mapping.
 * - ENOMEM, EIO: the DMA API could not map the pages (no IOMMU space, no
 *   swiotlb room, or a swiotlb pool out of the device's reach: the kernel
 *   then also warns).
 * - EINTR: a fatal signal arrived between transfers.
 * - ETIMEDOUT: the device did not complete a transfer in time; it takes
 *   no more transfers (EIO) until it is bound again (module load, or its
 *   removal and a rescan).
 *
 * Specific to %PINTEST_IOC_DMA_START:
 *
 * - EBUSY: the pin already has a writer running.
 * - ENOENT: the pin is being released.
 * - ENODEV: %PINTEST_DMA_START_DEVICE with no device bound.
 * - EPERM: %PINTEST_DMA_START_DEVICE for a pin with no mapping the device
 *   may write through (%PINTEST_MAP_DEVICE_WRITES).
 * - ENOSPC: the file descriptor already runs ``max_writers`` writers
 *   (module parameter, default 64).
 *
 * Specific to %PINTEST_IOC_UNPIN:
 *
 * - EFAULT: also when the pin was released but the reply could not be
 *   written back; see &struct pintest_unpin.
 *
 * Specific to %PINTEST_IOC_QUERY and %PINTEST_IOC_PROBE:
 *
 * - EINVAL: @entry_size below 32 or above 256.
 *
 * Specific to %PINTEST_IOC_QUERY, %PINTEST_IOC_DMA and
 * %PINTEST_IOC_DMA_START:
 *
 * - ERANGE: the requested pages or bytes lie outside the pinned range.
 *
 * Specific to %PINTEST_IOC_DMA and %PINTEST_IOC_DMA_START:
 *
 * - EPERM: a DMA write or fill into a pin taken without %PINTEST_PIN_WRITE
 *   (its pages may be the shared zero page or a read-only file page).
 *
 * Specific to %PINTEST_IOC_PROBE: the errors of %PINTEST_IOC_PIN's
 * address checks (EINVAL, EOVERFLOW, E2BIG, EFAULT).
 */

#define PINTEST_TYPE		0xF4
#define PINTEST_ABI_VERSION	4

enum {
	PINTEST_CMD_INFO = 0x40,
	PINTEST_CMD_PIN,
	PINTEST_CMD_QUERY,
	PINTEST_CMD_PROBE,
	PINTEST_CMD_UNPIN,
	PINTEST_CMD_DMA,
	PINTEST_CMD_STATS,
	PINTEST_CMD_DMA_START,
	PINTEST_CMD_DMA_STOP,
	PINTEST_CMD_PIN_MEMFD,
	PINTEST_CMD_DEVICE_MAP,
	PINTEST_CMD_DEVICE_DMA,
	PINTEST_CMD_DEVICE_UNMAP,
};

/**
 * enum pintest_pin_flags - how a range is pinned
 * @PINTEST_PIN_WRITE: FOLL_WRITE; the "device" may write into the pages.
 * @PINTEST_PIN_LONGTERM: FOLL_LONGTERM, as RDMA and vfio pin.
 * @PINTEST_PIN_FAST: pin_user_pages_fast() (the default method).
 * @PINTEST_PIN_LOCKED: pin_user_pages() under mmap_read_lock().
 * @PINTEST_PIN_UNLOCKED: pin_user_pages_unlocked().
 * @PINTEST_PIN_MEMFD: not a flag of %PINTEST_IOC_PIN: in
 *	&pintest_info.out_methods, the kernel has memfd_pin_folios() and
 *	%PINTEST_IOC_PIN_MEMFD works (ABI version 3, kernel 6.10 and later)
 * @PINTEST_PIN_REMOTE: pin_user_pages_remote() on the memory of the
 *	process &pintest_pin.pidfd names, under mmap_read_lock() of its mm
 *	(ABI version 4); never FOLL_FORCE
 *
 * At most one method flag may be given.  pintest translates these bits to
 * the kernel's FOLL_* flags, whose values are not ABI and changed in 6.3.
 */
enum pintest_pin_flags {
	PINTEST_PIN_WRITE = 1 << 0,
	PINTEST_PIN_LONGTERM = 1 << 1,
	PINTEST_PIN_FAST = 1 << 2,
	PINTEST_PIN_LOCKED = 1 << 3,
	PINTEST_PIN_UNLOCKED = 1 << 4,
	PINTEST_PIN_MEMFD = 1 << 5,
	PINTEST_PIN_REMOTE = 1 << 6,
};

#define PINTEST_PIN_METHODS \
	(PINTEST_PIN_FAST | PINTEST_PIN_LOCKED | PINTEST_PIN_UNLOCKED | \
	 PINTEST_PIN_REMOTE)

/**
 * struct pintest_info - ioctl(PINTEST_IOC_INFO)
 * @size: sizeof(struct pintest_info)
 * @flags: must be 0
 * @out_abi_version: %PINTEST_ABI_VERSION of the running module
 * @out_page_size: PAGE_SIZE of the running kernel
 * @out_methods: the %PINTEST_PIN_METHODS this kernel offers
 *	(%PINTEST_PIN_REMOTE from ABI version 4 on), and %PINTEST_PIN_MEMFD
 *	where it has memfd_pin_folios()
 * @out_max_pin_pages: the most pages one pin may hold (module parameter)
 * @out_max_handles: the most pins one file descriptor may hold
 * @out_kernel_version: LINUX_VERSION_CODE the module was built for
 * @out_page_entry_size: sizeof(struct pintest_page) in the module
 * @__reserved: must be 0
 * @out_longterm_methods: the methods that take %PINTEST_PIN_LONGTERM
 *	(ABI version 2): before 6.2, pin_user_pages_unlocked() refuses
 *	FOLL_LONGTERM, so %PINTEST_PIN_UNLOCKED is not among them there
 * @__reserved2: must be 0
 * @out_device_path: enum pintest_device_path: the bound device and the
 *	way the DMA API reaches memory for it (ABI version 3)
 * @out_device_dma_bits: the device's DMA mask in bits; 0 without one
 */
struct pintest_info {
	__u32 size;
	__u32 flags;
	__u32 out_abi_version;
	__u32 out_page_size;
	__u32 out_methods;
	__u32 out_max_pin_pages;
	__u32 out_max_handles;
	__u32 out_kernel_version;
	__u32 out_page_entry_size;
	__u32 __reserved;
	__u32 out_longterm_methods;
	__u32 __reserved2;
	__u32 out_device_path;
	__u32 out_device_dma_bits;
};

/**
 * enum pintest_device_path - how the DMA API takes the device to memory
 * @PINTEST_DEVICE_NONE: no device is bound (no QEMU edu device here)
 * @PINTEST_DEVICE_DIRECT: bus addresses are physical addresses
 * @PINTEST_DEVICE_SWIOTLB: no IOMMU and a DMA mask below the top of
 *	memory: pages the device cannot reach are bounced through swiotlb
 * @PINTEST_DEVICE_IOMMU: a translating IOMMU maps the pages for the device
 */
enum pintest_device_path {
	PINTEST_DEVICE_NONE,
	PINTEST_DEVICE_DIRECT,
	PINTEST_DEVICE_SWIOTLB,
	PINTEST_DEVICE_IOMMU,
};

#define PINTEST_IOC_INFO _IO(PINTEST_TYPE, PINTEST_CMD_INFO)

/**
 * struct pintest_pin - ioctl(PINTEST_IOC_PIN)
 * @size: sizeof(struct pintest_pin)
 * @flags: combination of enum pintest_pin_flags
 * @addr: start of the user range, page aligned
 * @length: length of the range in bytes, page aligned and non-zero
 * @out_handle: handle of the new pin, unique in this file descriptor
 * @pidfd: with %PINTEST_PIN_REMOTE, a pidfd (pidfd_open(), clone3()) of
 *	the process whose memory @addr names; must be 0 otherwise (before
 *	ABI version 4 a reserved field)
 * @out_npages: number of pages pinned (always length / page size)
 * @out_pin_ns: nanoseconds the module spent in pin_user_pages*() for this
 *	pin (added in ABI version 2; a shorter struct does not get it)
 *
 * All or nothing: the whole range is pinned, or nothing stays pinned and
 * the error of the first page that could not be pinned is returned.  The
 * pin is charged to the caller's pinned_vm and checked against its
 * RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK.  Pins are released by
 * %PINTEST_IOC_UNPIN, close() of the file descriptor or process exit.
 *
 * %PINTEST_PIN_REMOTE pins another process's pages where ptrace may write
 * them: ptrace_may_access() is not exported to modules, so the caller must
 * be the process itself or its tracer (whose PTRACE_ATTACH or PTRACE_SEIZE
 * passed the kernel's own ptrace checks, LSMs included) and the process
 * must be dumpable by its owner, as PTRACE_POKEDATA requires.  The pin is
 * charged to the caller, not to the process, and holds nothing of it but
 * the pages: it outlives the process's exit and is released as any other.
 */
struct pintest_pin {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__u32 out_handle;
	__s32 pidfd;
	__aligned_u64 out_npages;
	__aligned_u64 out_pin_ns;
};

#define PINTEST_IOC_PIN _IO(PINTEST_TYPE, PINTEST_CMD_PIN)

/**
 * struct pintest_pin_memfd - ioctl(PINTEST_IOC_PIN_MEMFD)
 * @size: sizeof(struct pintest_pin_memfd)
 * @flags: %PINTEST_PIN_WRITE, %PINTEST_PIN_LONGTERM or both; the pin is
 *	long-term either way (memfd_pin_folios() always migrates the folios
 *	out of ZONE_MOVABLE and CMA first)
 * @fd: a memfd, or another shmem (tmpfs) or hugetlbfs file
 * @__reserved: must be 0
 * @offset: byte offset in the file, page aligned
 * @length: bytes to pin, page aligned and non-zero; the range must lie
 *	inside the file (holes in it are filled with new folios)
 * @out_handle: handle of the new pin, unique in this file descriptor
 * @__reserved2: must be 0
 * @out_npages: number of pages the pin holds (always length / page size)
 * @out_pin_ns: nanoseconds spent in memfd_pin_folios() for this pin
 * @out_nfolios: folios pinned: memfd_pin_folios() pins each folio once,
 *	however many of its pages the range holds
 *
 * Pins a file's pages by offset, as udmabuf does, instead of a user
 * address: no mapping is needed.  Added in ABI version 3, for kernels
 * with memfd_pin_folios() (6.10 and later).  Otherwise like
 * %PINTEST_IOC_PIN: all or nothing, charged to RLIMIT_MEMLOCK, and
 * QUERY, DMA, DMA_START, DMA_STOP and UNPIN take the handle.  UNPIN
 * releases the folios with unpin_folios() (after marking them dirty for
 * %PINTEST_UNPIN_DIRTY).  While the pin lives, F_SEAL_WRITE on the memfd
 * fails with EBUSY (memfd_wait_for_pins()).
 */
struct pintest_pin_memfd {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 length;
	__u32 out_handle;
	__u32 __reserved2;
	__aligned_u64 out_npages;
	__aligned_u64 out_pin_ns;
	__aligned_u64 out_nfolios;
};

#define PINTEST_IOC_PIN_MEMFD _IO(PINTEST_TYPE, PINTEST_CMD_PIN_MEMFD)

/**
 * enum pintest_page_flags - state of one page, as seen by the kernel
 * @PINTEST_PAGE_PRESENT: a page is mapped there (PROBE) or held (QUERY)
 * @PINTEST_PAGE_MAYBE_DMA_PINNED: folio_maybe_dma_pinned(); exact for large
 *	folios, may be a false positive for small ones
 * @PINTEST_PAGE_ANON: anonymous memory
 * @PINTEST_PAGE_FILE: in a file's page cache right now
 * @PINTEST_PAGE_SHMEM: shmem, tmpfs or memfd page
 * @PINTEST_PAGE_TRUNCATED: neither anonymous nor in a page cache any more:
 *	the file page was truncated or its hole punched while held
 * @PINTEST_PAGE_LARGE: part of a large folio (THP, hugetlb, large cache)
 * @PINTEST_PAGE_HUGETLB: hugetlbfs page
 * @PINTEST_PAGE_DIRTY: folio dirty flag
 * @PINTEST_PAGE_WRITEBACK: folio under writeback
 * @PINTEST_PAGE_LRU: folio on an LRU list
 * @PINTEST_PAGE_PRIVATE: folio has fs-private data (e.g. buffer heads)
 * @PINTEST_PAGE_ZERO: the shared zero page
 * @PINTEST_PAGE_ANON_EXCLUSIVE: PageAnonExclusive()
 * @PINTEST_PAGE_PINCOUNT_EXACT: @pincount is the folio's exact pin count;
 *	otherwise it is refcount / GUP_PIN_COUNTING_BIAS (1024)
 * @PINTEST_PAGE_CMA: the page's pageblock is MIGRATE_CMA (ABI version 4);
 *	only where the module can read a pageblock's migratetype
 * @PINTEST_PAGE_LONGTERM_PINNABLE: the kernel's folio_is_longterm_pinnable()
 *	holds for the folio (ABI version 4): a FOLL_LONGTERM pin may keep it
 *	where it is (not ZONE_MOVABLE, not CMA, not device-coherent, not
 *	fsdax); with %PINTEST_PAGE_CMA_UNKNOWN, its migratetype test is left
 *	out
 * @PINTEST_PAGE_CMA_UNKNOWN: the kernel has CONFIG_CMA, the page's zone
 *	holds CMA pages and the kernel exports no way to read a pageblock's
 *	migratetype (ABI version 4): neither %PINTEST_PAGE_CMA nor
 *	%PINTEST_PAGE_LONGTERM_PINNABLE says whether the page is CMA (or
 *	isolated)
 */
enum pintest_page_flags {
	PINTEST_PAGE_PRESENT = 1 << 0,
	PINTEST_PAGE_MAYBE_DMA_PINNED = 1 << 1,
	PINTEST_PAGE_ANON = 1 << 2,
	PINTEST_PAGE_FILE = 1 << 3,
	PINTEST_PAGE_SHMEM = 1 << 4,
	PINTEST_PAGE_TRUNCATED = 1 << 5,
	PINTEST_PAGE_LARGE = 1 << 6,
	PINTEST_PAGE_HUGETLB = 1 << 7,
	PINTEST_PAGE_DIRTY = 1 << 8,
	PINTEST_PAGE_WRITEBACK = 1 << 9,
	PINTEST_PAGE_LRU = 1 << 10,
	PINTEST_PAGE_PRIVATE = 1 << 11,
	PINTEST_PAGE_ZERO = 1 << 12,
	PINTEST_PAGE_ANON_EXCLUSIVE = 1 << 13,
	PINTEST_PAGE_PINCOUNT_EXACT = 1 << 14,
	PINTEST_PAGE_CMA = 1 << 15,
	PINTEST_PAGE_LONGTERM_PINNABLE = 1 << 16,
	PINTEST_PAGE_CMA_UNKNOWN = 1 << 17,
};

/**
 * enum pintest_zone - the memory zone of a page (ABI version 4)
 * @PINTEST_ZONE_NONE: no page (PROBE of an unmapped address), or a module
 *	older than ABI version 4
 * @PINTEST_ZONE_DMA: ZONE_DMA
 * @PINTEST_ZONE_DMA32: ZONE_DMA32
 * @PINTEST_ZONE_NORMAL: ZONE_NORMAL
 * @PINTEST_ZONE_MOVABLE: ZONE_MOVABLE (movablecore=, kernelcore=, memory
 *	onlined movable): a FOLL_LONGTERM pin must migrate the page out first
 * @PINTEST_ZONE_DEVICE: ZONE_DEVICE
 * @PINTEST_ZONE_OTHER: a zone of none of these kinds (ZONE_HIGHMEM)
 */
enum pintest_zone {
	PINTEST_ZONE_NONE = 0,
	PINTEST_ZONE_DMA = 1,
	PINTEST_ZONE_DMA32 = 2,
	PINTEST_ZONE_NORMAL = 3,
	PINTEST_ZONE_MOVABLE = 4,
	PINTEST_ZONE_DEVICE = 5,
	PINTEST_ZONE_OTHER = 6,
};

/**
 * struct pintest_page - one entry of a QUERY or PROBE answer
 * @pfn: page frame number; 0 unless whoever opened the file descriptor
 *	had CAP_SYS_ADMIN (decided at open(), as for /proc/PID/pagemap)
 * @flags: enum pintest_page_flags
 * @refcount: folio reference count, without PROBE's own reference
 * @pincount: see %PINTEST_PAGE_PINCOUNT_EXACT
 * @mapcount: how many page tables map this page (page_mapcount())
 * @order: folio order (0 for a 4 KiB page, 9 for a 2 MiB THP)
 * @zone: enum pintest_zone (ABI version 4; 0, the reserved word it
 *	replaces, before)
 */
struct pintest_page {
	__aligned_u64 pfn;
	__u32 flags;
	__u32 refcount;
	__u32 pincount;
	__s32 mapcount;
	__u32 order;
	__u32 zone;
};

/**
 * struct pintest_query - ioctl(PINTEST_IOC_QUERY)
 * @size: sizeof(struct pintest_query)
 * @flags: must be 0
 * @handle: the pin to look at
 * @entry_size: sizeof(struct pintest_page) as the caller knows it; at
 *	least 32 and at most 256.  Entries are written at this stride,
 *	zero-extended.
 * @first: index of the first page of the pin to report
 * @count: number of pages to report, at least 1
 * @pages: user pointer to @count entries of @entry_size bytes
 *
 * ERANGE when @first + @count exceeds the pin's pages.
 */
struct pintest_query {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 entry_size;
	__aligned_u64 first;
	__aligned_u64 count;
	__aligned_u64 pages;
};

#define PINTEST_IOC_QUERY _IO(PINTEST_TYPE, PINTEST_CMD_QUERY)

/**
 * struct pintest_probe - ioctl(PINTEST_IOC_PROBE)
 * @size: sizeof(struct pintest_probe)
 * @flags: must be 0
 * @entry_size: as in struct pintest_query
 * @__reserved: must be 0
 * @addr: page-aligned start of the user range
 * @length: page-aligned, non-zero length of the range
 * @pages: user pointer to length / page size entries
 *
 * Reports the pages mapped at a user range right now without faulting
 * anything in and without keeping a reference: a page that is not mapped
 * reads as an entry without %PINTEST_PAGE_PRESENT.  Use it to see that a
 * page is no longer pinned after its pin was released.
 */
struct pintest_probe {
	__u32 size;
	__u32 flags;
	__u32 entry_size;
	__u32 __reserved;
	__aligned_u64 addr;
	__aligned_u64 length;
	__aligned_u64 pages;
};

#define PINTEST_IOC_PROBE _IO(PINTEST_TYPE, PINTEST_CMD_PROBE)

/**
 * enum pintest_unpin_flags - how a pin is released
 * @PINTEST_UNPIN_DIRTY: unpin_user_pages_dirty_lock(..., true): mark the
 *	pages dirty first, as a driver must after its device wrote them
 */
enum pintest_unpin_flags {
	PINTEST_UNPIN_DIRTY = 1 << 0,
};

/**
 * struct pintest_unpin - ioctl(PINTEST_IOC_UNPIN)
 * @size: sizeof(struct pintest_unpin)
 * @flags: enum pintest_unpin_flags
 * @handle: the pin to release; it is invalid afterwards
 * @__reserved: must be 0
 * @out_unpin_ns: nanoseconds this call spent releasing the pin (ABI
 *	version 2): the unpin_user_pages*() call included, unless a DMA on
 *	the same handle still held the pages, which it then releases
 *
 * A DMA still running on the handle in another thread completes first;
 * the pages are released when it does.
 *
 * The pin is released before the reply is written back.  When the struct
 * can be read but not written (say, in a read-only page), the call fails
 * with EFAULT although the pin is gone: the handle is invalid, the pages
 * are unpinned and a retry gets ENOENT.  An EFAULT in reading the struct
 * releases nothing; a retry with a struct the kernel can write tells the
 * two apart (ENOENT: the failed call released the pin).
 */
struct pintest_unpin {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 out_unpin_ns;
};

#define PINTEST_IOC_UNPIN _IO(PINTEST_TYPE, PINTEST_CMD_UNPIN)

/**
 * enum pintest_dma_op - what the simulated device does
 * @PINTEST_DMA_WRITE: copy @buf into the pinned pages (device writes memory)
 * @PINTEST_DMA_READ: copy the pinned pages into @buf (device reads memory)
 * @PINTEST_DMA_FILL: write the pintest_pattern() of @seed into the pages
 * @PINTEST_DMA_VERIFY: compare the pages with the pattern of @seed
 */
enum pintest_dma_op {
	PINTEST_DMA_WRITE = 1,
	PINTEST_DMA_READ,
	PINTEST_DMA_FILL,
	PINTEST_DMA_VERIFY,
};

/**
 * struct pintest_dma - ioctl(PINTEST_IOC_DMA)
 * @size: sizeof(struct pintest_dma)
 * @flags: must be 0
 * @handle: the pin to access
 * @op: enum pintest_dma_op
 * @offset: byte offset from the start of the pinned range
 * @length: bytes to access, at least 1
 * @buf: user buffer for WRITE and READ; must be 0 for FILL and VERIFY
 * @seed: pattern seed for FILL and VERIFY; must be 0 for WRITE and READ
 * @out_mismatches: VERIFY: number of bytes that differ from the pattern
 * @out_first_mismatch: VERIFY: offset of the first such byte from the start
 *	of the pin (the same scale as @offset), or ~0 when all match
 *
 * The kernel accesses the pages through kmap_local_page(), as a device
 * would through DMA: it does not mark them dirty; releasing the pin with
 * %PINTEST_UNPIN_DIRTY does.  WRITE and FILL need a %PINTEST_PIN_WRITE pin
 * (EPERM otherwise); ERANGE when @offset + @length exceeds the pin.
 */
struct pintest_dma {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 op;
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 buf;
	__aligned_u64 seed;
	__aligned_u64 out_mismatches;
	__aligned_u64 out_first_mismatch;
};

#define PINTEST_IOC_DMA _IO(PINTEST_TYPE, PINTEST_CMD_DMA)

/**
 * struct pintest_stats - ioctl(PINTEST_IOC_STATS)
 * @size: sizeof(struct pintest_stats)
 * @flags: must be 0
 * @live_pins: pins held now, by all file descriptors
 * @live_pages: pages held by those pins
 * @total_pins: pins taken since the module was loaded
 * @total_pages: pages pinned since the module was loaded
 * @total_unpins: pins released since the module was loaded
 * @errors: ioctls that failed since the module was loaded
 * @dma_bytes: bytes the simulated device read or wrote
 * @bookkeeping_bytes: memory the module holds for the live pins: their
 *	records and the pages they hold, kept as folio ranges: at most 8
 *	bytes a small page, 16 a run inside a large folio (ABI version 2)
 *
 * The same counters are in /sys/class/misc/pintest/stats/.
 */
struct pintest_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 live_pins;
	__aligned_u64 live_pages;
	__aligned_u64 total_pins;
	__aligned_u64 total_pages;
	__aligned_u64 total_unpins;
	__aligned_u64 errors;
	__aligned_u64 dma_bytes;
	__aligned_u64 bookkeeping_bytes;
};

#define PINTEST_IOC_STATS _IO(PINTEST_TYPE, PINTEST_CMD_STATS)

/**
 * enum pintest_dma_start_flags - &pintest_dma_start.flags
 * @PINTEST_DMA_START_DEVICE: the real device writes, through the pin's
 *	mapping for device writes (%PINTEST_IOC_DEVICE_MAP with
 *	%PINTEST_MAP_DEVICE_WRITES), one transfer of at most 2 KiB at a time
 *	and at the device's pace (ABI version 3).  What it wrote is the
 *	CPU's to see once the mapping is unmapped: through swiotlb, not
 *	before.  The writer ends when its mapping goes (DEVICE_UNMAP, UNPIN,
 *	close) after the transfer in flight.
 */
enum pintest_dma_start_flags {
	PINTEST_DMA_START_DEVICE = 1 << 0,
};

/**
 * struct pintest_dma_start - ioctl(PINTEST_IOC_DMA_START)
 * @size: sizeof(struct pintest_dma_start)
 * @flags: &enum pintest_dma_start_flags
 * @handle: a pin taken with %PINTEST_PIN_WRITE (EPERM otherwise)
 * @duration_ms: stop after this many milliseconds; 0 for no time limit,
 *	but a writer with neither @count nor @duration_ms stops after the
 *	module parameter ``writer_max_ms`` (default 60000)
 * @offset: byte offset from the start of the pin
 * @length: bytes each pass writes, at least 1
 * @seed: each pass fills the pintest_pattern() of @seed, as
 *	%PINTEST_DMA_FILL does
 * @count: passes to write; 0 for no limit
 *
 * Gives the pin an in-flight writer: a kernel worker that keeps filling
 * the range, pass after pass, like a device still doing DMA while the
 * process munmaps, truncates or forks.  It stops after @count passes or
 * @duration_ms, at %PINTEST_IOC_DMA_STOP, or when the pin is released
 * (UNPIN, close() or exit), whichever comes first.  One writer per pin.
 */
struct pintest_dma_start {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 duration_ms;
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 seed;
	__aligned_u64 count;
};

#define PINTEST_IOC_DMA_START _IO(PINTEST_TYPE, PINTEST_CMD_DMA_START)

/**
 * struct pintest_dma_stop - ioctl(PINTEST_IOC_DMA_STOP)
 * @size: sizeof(struct pintest_dma_stop)
 * @flags: must be 0
 * @handle: the pin whose writer to stop
 * @__reserved: must be 0
 * @out_passes: passes the last writer of this pin completed
 * @out_bytes: bytes it wrote
 *
 * Stops the writer and waits until it no longer touches the pages.  Also
 * answers for a writer that already ended by itself; 0 when the pin never
 * had one.
 */
struct pintest_dma_stop {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 out_passes;
	__aligned_u64 out_bytes;
};

#define PINTEST_IOC_DMA_STOP _IO(PINTEST_TYPE, PINTEST_CMD_DMA_STOP)

/**
 * pintest_pattern() - the 64-bit word FILL and VERIFY use
 * @seed: the pattern seed
 * @index: byte offset from the start of the pin, divided by 8
 *
 * Byte @o of a pin holds byte (@o % 8) (little-endian) of
 * pintest_pattern(seed, @o / 8): every word depends on its position, so a
 * page written at the wrong place is caught.  It is splitmix64.
 *
 * Return: the pattern word.
 */
static inline __u64 pintest_pattern(__u64 seed, __u64 index)
{
	__u64 z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/**
 * enum pintest_device_map_flags - what the device may do with a mapping
 * @PINTEST_MAP_DEVICE_WRITES: the device writes the pages (DMA_FROM_DEVICE);
 *	needs a %PINTEST_PIN_WRITE pin
 * @PINTEST_MAP_DEVICE_READS: the device reads the pages (DMA_TO_DEVICE)
 *
 * Both make one DMA_BIDIRECTIONAL mapping.
 */
enum pintest_device_map_flags {
	PINTEST_MAP_DEVICE_WRITES = 1 << 0,
	PINTEST_MAP_DEVICE_READS = 1 << 1,
};

/**
 * struct pintest_device_map - ioctl(PINTEST_IOC_DEVICE_MAP)
 * @size: sizeof(struct pintest_device_map)
 * @flags: enum pintest_device_map_flags, at least one
 * @handle: the pin to map
 * @out_id: the mapping, for DEVICE_DMA and DEVICE_UNMAP
 * @out_segments: DMA segments the mapping took (dma_map_sgtable())
 * @__reserved: must be 0
 * @out_bus_addr: the bus address of the pin's first byte for the device;
 *	0 unless whoever opened the file descriptor had CAP_SYS_ADMIN (it
 *	may be a physical address, as a PFN is)
 *
 * Maps every page of the pin for the device with dma_map_sgtable(), as a
 * driver does before it gives the device the bus addresses.  A pin has at
 * most one mapping per direction.  UNPIN, close() and exit unmap a pin's
 * mappings before they release its pages, waiting for a transfer in
 * flight: stop the device, unmap, unpin.
 */
struct pintest_device_map {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 out_id;
	__u32 out_segments;
	__u32 __reserved;
	__aligned_u64 out_bus_addr;
};

#define PINTEST_IOC_DEVICE_MAP _IO(PINTEST_TYPE, PINTEST_CMD_DEVICE_MAP)

/**
 * enum pintest_device_dma_flags - how a device transfer is bracketed
 * @PINTEST_DEVICE_DMA_SYNC: as the DMA API requires: the pages synced for
 *	the device before it reads them, for the CPU after it wrote them.
 *	Without it the transfer is raw: behind swiotlb, what the device
 *	wrote reaches the pages only at DEVICE_UNMAP (or a later synced
 *	transfer), and it reads what was there at DEVICE_MAP.
 * @PINTEST_DEVICE_DMA_BUS: no mapping (@id 0): @offset is a bus address,
 *	as a stale one a buggy driver would still hand its device, which
 *	writes there (WRITE or FILL, at most 2 KiB within a page) whatever
 *	it translates to now.  Only behind a translating IOMMU, which then
 *	faults the write (EPERM without one: the address would be physical),
 *	and only with CAP_SYS_RAWIO (EPERM)
 */
enum pintest_device_dma_flags {
	PINTEST_DEVICE_DMA_SYNC = 1 << 0,
	PINTEST_DEVICE_DMA_BUS = 1 << 1,
};

/**
 * struct pintest_device_dma - ioctl(PINTEST_IOC_DEVICE_DMA)
 * @size: sizeof(struct pintest_device_dma)
 * @flags: enum pintest_device_dma_flags
 * @id: the mapping
 * @op: enum pintest_dma_op: WRITE and FILL are device writes of @buf's
 *	bytes or the pattern of @seed, READ and VERIFY device reads into
 *	@buf or against the pattern, through the device's own buffer
 * @offset: byte offset from the start of the pin
 * @length: bytes, at least 1
 * @buf: user buffer for WRITE and READ; 0 for FILL and VERIFY
 * @seed: pattern seed for FILL and VERIFY; 0 for WRITE and READ
 * @out_mismatches: VERIFY: bytes that differ from the pattern
 * @out_first_mismatch: VERIFY: offset of the first, ~0 when none
 * @out_transfers: device transfers to or from the pages (2 KiB at most,
 *	within a page)
 *
 * The device moves the bytes by bus address, one transfer at a time, each
 * completed by its interrupt; a fatal signal stops it between transfers.
 * Its buffer is reachable only by DMA: each transfer with the pages has a
 * second one between the buffer and a coherent staging buffer of the
 * module (which holds what the device writes, or receives what it read).
 */
struct pintest_device_dma {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 op;
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 buf;
	__aligned_u64 seed;
	__aligned_u64 out_mismatches;
	__aligned_u64 out_first_mismatch;
	__aligned_u64 out_transfers;
};

#define PINTEST_IOC_DEVICE_DMA _IO(PINTEST_TYPE, PINTEST_CMD_DEVICE_DMA)

/**
 * struct pintest_device_unmap - ioctl(PINTEST_IOC_DEVICE_UNMAP)
 * @size: sizeof(struct pintest_device_unmap)
 * @flags: must be 0
 * @id: the mapping to tear down (dma_unmap_sgtable()); the pin stays
 * @__reserved: must be 0
 */
struct pintest_device_unmap {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

#define PINTEST_IOC_DEVICE_UNMAP _IO(PINTEST_TYPE, PINTEST_CMD_DEVICE_UNMAP)

#endif /* _UAPI_LINUX_PINTEST_H */
