// SPDX-License-Identifier: GPL-2.0
/*
 * A pin's pages mapped for the real device: DEVICE_MAP maps them with
 * dma_map_sgtable(), as drivers of RDMA, GPUs and vfio do, DEVICE_DMA has
 * the device move bytes through that mapping by bus address, DEVICE_UNMAP,
 * UNPIN and close unmap.  Whether the bus address is the physical one, a
 * swiotlb bounce slot or an IOMMU's IOVA is the DMA API's business, which
 * is the point.
 *
 * User memory is never touched under a lock: each transfer's bytes are
 * bounced through a buffer of the call's own, so a caller whose buffer
 * faults (or waits on userfaultfd) stalls itself alone.
 */
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "pintest.h"

/*
 * Guards every range's @devmaps and @devmaps_closed, and the publishing of
 * a mapping in its file's table; held for list and table updates only.
 */
static DEFINE_MUTEX(pintest_devmaps_lock);

/**
 * struct pintest_devmap - one DEVICE_MAP
 * @ref: its file's table holds one (the DEVICE_MAP that creates it until
 *	it is published), every call using it one for its duration
 * @range: the pin; the mapping holds a reference, so its pages stay
 *	pinned for as long as the device may reach them
 * @edu: the device it is mapped for (a reference held)
 * @node: in @range->devmaps from the moment DEVICE_MAP claims its
 *	direction (under pintest_devmaps_lock)
 * @published: its file's table holds it; until then it only claims its
 *	direction, and nothing but DEVICE_MAP itself uses it (under
 *	pintest_devmaps_lock)
 * @emap: the pin's pages and their mapping for the device (edu.c)
 * @id: its index in the file's maps
 */
struct pintest_devmap {
	struct kref ref;
	struct pintest_range *range;
	struct pintest_edu *edu;
	struct list_head node;
	bool published;
	struct pintest_edu_map emap;
	u32 id;
};

static void pintest_devmap_release(struct kref *ref)
{
	struct pintest_devmap *map = container_of(ref, struct pintest_devmap, ref);

	/* a mapping never published is unmapped only here */
	pintest_edu_unmap(map->edu, &map->emap);
	sg_free_table(&map->emap.sgt);
	pintest_range_put(map->range);
	pintest_edu_put(map->edu);
	kfree(map);
}

static void pintest_devmap_put(struct pintest_devmap *map)
{
	kref_put(&map->ref, pintest_devmap_release);
}

/* Mapping @id of @maps with a reference the caller puts; or NULL. */
static struct pintest_devmap *pintest_devmap_get(struct xarray *maps, u32 id)
{
	struct pintest_devmap *map;

	xa_lock(maps);
	/* xa_load() reads a reserved entry as NULL: not yet a mapping */
	map = xa_load(maps, id);
	if (map)
		kref_get(&map->ref);
	xa_unlock(maps);
	return map;
}

/* What a call on a mapping that is not there answers: ENODEV or ENOENT. */
static int pintest_devmap_missing(void)
{
	struct pintest_edu *edu = pintest_edu_get();

	if (!edu)
		return -ENODEV;
	pintest_edu_put(edu);
	return -ENOENT;
}

/*
 * @map, off its file's table and its range's list, torn down: after the
 * device's transfer in flight, before the reference to its pin goes.
 */
static void pintest_devmap_unmap_put(struct pintest_devmap *map)
{
	pintest_edu_unmap(map->edu, &map->emap);
	pintest_devmap_put(map);
}

/* @map, which its caller took out of its file's table, torn down. */
static void pintest_devmap_teardown(struct pintest_devmap *map)
{
	mutex_lock(&pintest_devmaps_lock);
	list_del_init(&map->node);
	mutex_unlock(&pintest_devmaps_lock);
	pintest_devmap_unmap_put(map);
}

/* What INFO reports: the path to memory, and the mask in *@dma_bits. */
u32 pintest_device_path(u32 *dma_bits)
{
	struct pintest_edu *edu = pintest_edu_get();
	u32 path;

	*dma_bits = 0;
	if (!edu)
		return PINTEST_DEVICE_NONE;
	path = pintest_edu_path(edu, dma_bits);
	pintest_edu_put(edu);
	return path;
}

static enum dma_data_direction pintest_map_dir(u32 flags)
{
	switch (flags) {
	case PINTEST_MAP_DEVICE_WRITES:
		return DMA_FROM_DEVICE;
	case PINTEST_MAP_DEVICE_READS:
		return DMA_TO_DEVICE;
	default:
		return DMA_BIDIRECTIONAL;
	}
}

static bool pintest_dirs_overlap(enum dma_data_direction a,
				 enum dma_data_direction b)
{
	return a == b || a == DMA_BIDIRECTIONAL || b == DMA_BIDIRECTIONAL;
}

/*
 * Whether @map still reaches its pages, or removal revoked it: a hint read
 * without the device's lock, for a transfer checks again under it.  A
 * revoked mapping neither blocks a new one nor serves the writer.
 */
static bool pintest_devmap_live(const struct pintest_devmap *map)
{
	return READ_ONCE(map->emap.mapped);
}

/*
 * @map claims its direction on @range: ENOENT once @range left its table,
 * EBUSY for a mapping (or a DEVICE_MAP under way) in that direction.
 */
static int pintest_devmap_claim(struct pintest_range *range,
				struct pintest_devmap *map)
{
	struct pintest_devmap *other;
	int ret;

	ret = mutex_lock_killable(&pintest_devmaps_lock);
	if (ret)
		return ret;
	ret = range->devmaps_closed ? -ENOENT : 0;
	list_for_each_entry(other, &range->devmaps, node) {
		if ((!other->published || pintest_devmap_live(other)) &&
		    pintest_dirs_overlap(other->emap.dir, map->emap.dir))
			ret = -EBUSY;
	}
	if (!ret)
		list_add_tail(&map->node, &range->devmaps);
	mutex_unlock(&pintest_devmaps_lock);
	return ret;
}

static void pintest_devmap_unclaim(struct pintest_devmap *map)
{
	mutex_lock(&pintest_devmaps_lock);
	list_del_init(&map->node);
	mutex_unlock(&pintest_devmaps_lock);
}

/*
 * An sg table of all of @range's pages, in segments of at most
 * @max_segment bytes, what the DMA API maps for the device in one piece
 * (swiotlb bounces at most 256 KiB).
 */
static int pintest_devmap_table(size_t max_segment, struct pintest_range *range,
				struct sg_table *sgt)
{
	struct pintest_cursor cur;
	struct page **pages;
	unsigned long i;
	int ret;

	pages = kvmalloc_array(range->npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	pintest_range_seek(range, 0, &cur);
	for (i = 0; i < range->npages; i++)
		pages[i] = pintest_range_next(&cur);
	ret = sg_alloc_table_from_pages_segment(sgt, pages, range->npages, 0,
						range->npages << PAGE_SHIFT,
						round_down(max_segment, PAGE_SIZE),
						GFP_KERNEL);
	kvfree(pages);
	return ret;
}

/*
 * DEVICE_MAP: @range's pages mapped for the device in the directions of
 * @flags as *@mapp, under *@id reserved in @maps; *@bus the first byte's
 * bus address when @show_bus.  Nobody finds the mapping, by id or through
 * @range, before pintest_device_map_publish(); until then the reference
 * it holds keeps the pages pinned, whatever UNPIN does meanwhile.
 */
int pintest_device_map(struct xarray *maps, struct pintest_range *range,
		       u32 flags, bool show_bus, struct pintest_devmap **mapp,
		       u32 *id, u32 *segments, u64 *bus)
{
	struct pintest_devmap *map;
	struct pintest_edu *edu;
	int ret;

	if (!flags || flags & ~(PINTEST_MAP_DEVICE_WRITES | PINTEST_MAP_DEVICE_READS))
		return -EINVAL;
	edu = pintest_edu_get();
	if (!edu)
		return -ENODEV;
	ret = -EPERM;
	if (flags & PINTEST_MAP_DEVICE_WRITES && !range->writable)
		goto err_edu;
	ret = -ENOMEM;
	map = pintest_kzalloc_obj(*map, GFP_KERNEL_ACCOUNT);
	if (!map)
		goto err_edu;
	map->emap.dir = pintest_map_dir(flags);
	INIT_LIST_HEAD(&map->node);

	/* ENOENT: UNPIN got in between the lookup and here, and unmapped */
	ret = pintest_devmap_claim(range, map);
	if (ret)
		goto err_free;
	ret = pintest_devmap_table(pintest_edu_max_segment(edu), range,
				   &map->emap.sgt);
	if (ret)
		goto err_unclaim;
	ret = pintest_edu_map(edu, &map->emap);
	if (ret)
		goto err_table;
	ret = xa_alloc(maps, &map->id, XA_ZERO_ENTRY, xa_limit_31b, GFP_KERNEL);
	if (ret)
		goto err_unmap;
	kref_init(&map->ref);
	pintest_range_get(range);
	map->range = range;
	map->edu = edu;
	*mapp = map;
	*id = map->id;
	*segments = map->emap.sgt.nents;
	*bus = show_bus ? sg_dma_address(map->emap.sgt.sgl) : 0;
	return 0;

err_unmap:
	pintest_edu_unmap(edu, &map->emap);
err_table:
	sg_free_table(&map->emap.sgt);
err_unclaim:
	pintest_devmap_unclaim(map);
err_free:
	kfree(map);
err_edu:
	pintest_edu_put(edu);
	return ret;
}

/* The reply of DEVICE_MAP could not be copied out: nobody knows @map. */
void pintest_device_map_abort(struct xarray *maps, struct pintest_devmap *map)
{
	pintest_devmap_unclaim(map);
	xa_erase(maps, map->id);
	pintest_devmap_put(map);
}

/*
 * The caller of DEVICE_MAP knows @map's id: it becomes a mapping of its
 * pin, unless UNPIN released the pin meanwhile and so unmapped it.
 * Replacing the reserved entry allocates nothing, so it cannot fail.
 */
void pintest_device_map_publish(struct xarray *maps, struct pintest_devmap *map)
{
	bool closed;

	mutex_lock(&pintest_devmaps_lock);
	closed = map->range->devmaps_closed;
	if (!closed) {
		map->published = true;
		xa_store(maps, map->id, map, GFP_KERNEL);
	}
	mutex_unlock(&pintest_devmaps_lock);
	if (closed)
		pintest_device_map_abort(maps, map);
}

/* The bus address of byte @pos of @sgt, and how many follow it there. */
static dma_addr_t pintest_devmap_bus(struct sg_table *sgt, u64 pos,
				     size_t *contiguous)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (pos < sg_dma_len(sg)) {
			*contiguous = sg_dma_len(sg) - pos;
			return sg_dma_address(sg) + pos;
		}
		pos -= sg_dma_len(sg);
	}
	*contiguous = 0;
	return DMA_MAPPING_ERROR;
}

/*
 * The device moves @walk's bytes through @map, in transfers that never
 * cross a page (nor the end of a DMA segment), each bounced through a
 * buffer of this call: a device write's bytes are put there before the
 * device takes them, a device read's are used after it gave them, with
 * no lock held.  *@transfers counts the transfers.
 */
static int pintest_devmap_walk(struct pintest_devmap *map,
			       struct pintest_walk *walk, u64 *transfers)
{
	bool to_ram = pintest_walk_writes(walk);
	u64 done = 0;
	u8 *bounce;
	int ret = 0;

	bounce = kmalloc(PINTEST_EDU_XFER_MAX, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (done < walk->length) {
		u64 pos = walk->offset + done;
		size_t n = min_t(u64, PAGE_SIZE - offset_in_page(pos),
				 walk->length - done), contiguous;
		dma_addr_t bus = pintest_devmap_bus(&map->emap.sgt, pos,
						    &contiguous);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min3(n, contiguous, (size_t)PINTEST_EDU_XFER_MAX);
		if (to_ram) {
			ret = pintest_walk_step(bounce, pos, n, done, walk);
			ret = ret ?: pintest_edu_copy(map->edu, &map->emap, bus,
						      bounce, n, true);
		} else {
			ret = pintest_edu_copy(map->edu, &map->emap, bus, bounce,
					       n, false);
			ret = ret ?: pintest_walk_step(bounce, pos, n, done, walk);
		}
		if (ret)
			break;
		(*transfers)++;
		done += n;
	}
	atomic64_add(done, &pintest_counters.dma_bytes);
	kfree(bounce);
	return ret;
}

/* DEVICE_DMA: @walk's bytes moved by the device through mapping @id. */
int pintest_device_dma(struct xarray *maps, u32 id, bool sync,
		       struct pintest_walk *walk, u64 *transfers)
{
	bool writes = pintest_walk_writes(walk);
	struct pintest_devmap *map;
	int ret;

	map = pintest_devmap_get(maps, id);
	if (!map)
		return pintest_devmap_missing();
	ret = pintest_range_check_bytes(map->range, walk->offset, walk->length);
	if (ret)
		goto out;
	ret = -EPERM;
	if (map->emap.dir == (writes ? DMA_TO_DEVICE : DMA_FROM_DEVICE))
		goto out;
	walk->mismatches = 0;
	walk->first_mismatch = ~0ULL;
	*transfers = 0;
	ret = sync && !writes ? pintest_edu_sync(map->edu, &map->emap, true) : 0;
	ret = ret ?: pintest_devmap_walk(map, walk, transfers);
	if (!ret && sync && writes)
		ret = pintest_edu_sync(map->edu, &map->emap, false);
out:
	pintest_devmap_put(map);
	return ret;
}

/*
 * DEVICE_DMA to a bus address of no mapping (@walk->offset), as a stale
 * one: only through a translating IOMMU, which faults it, and only for
 * CAP_SYS_RAWIO.  A device write of at most one transfer.
 */
int pintest_device_dma_bus(struct pintest_walk *walk, u64 *transfers)
{
	dma_addr_t bus = walk->offset;
	struct pintest_edu *edu;
	u8 *bounce = NULL;
	u32 bits;
	int ret;

	if (!pintest_walk_writes(walk) || walk->length > PINTEST_EDU_XFER_MAX ||
	    offset_in_page(bus) + walk->length > PAGE_SIZE)
		return -EINVAL;
	edu = pintest_edu_get();
	if (!edu)
		return -ENODEV;
	ret = -EPERM;
	if (!capable(CAP_SYS_RAWIO) ||
	    pintest_edu_path(edu, &bits) != PINTEST_DEVICE_IOMMU)
		goto out;
	ret = -ENOMEM;
	bounce = kmalloc(walk->length, GFP_KERNEL);
	if (!bounce)
		goto out;
	ret = pintest_walk_step(bounce, 0, walk->length, 0, walk);
	ret = ret ?: pintest_edu_copy(edu, NULL, bus, bounce, walk->length, true);
out:
	kfree(bounce);
	pintest_edu_put(edu);
	*transfers = !ret;
	return ret;
}

/*
 * DEVICE_UNMAP of mapping @id; it no longer reaches the pages on return.
 * A mapping the device's removal revoked goes too.
 */
int pintest_device_unmap(struct xarray *maps, u32 id)
{
	struct pintest_devmap *map;

	xa_lock(maps);
	map = xa_load(maps, id);
	if (map)
		__xa_erase(maps, id);
	xa_unlock(maps);
	if (!map)
		return pintest_devmap_missing();
	pintest_devmap_teardown(map);
	return 0;
}

/* @range's live mapping for device writes, with a reference; or NULL. */
static struct pintest_devmap *pintest_devmap_writable(struct pintest_range *range)
{
	struct pintest_devmap *map, *found = NULL;

	mutex_lock(&pintest_devmaps_lock);
	list_for_each_entry(map, &range->devmaps, node) {
		if (map->published && pintest_devmap_live(map) &&
		    map->emap.dir != DMA_TO_DEVICE) {
			kref_get(&map->ref);
			found = map;
			break;
		}
	}
	mutex_unlock(&pintest_devmaps_lock);
	return found;
}

/* Whether the device may write @range now: ENODEV, EPERM or 0. */
int pintest_device_can_write(struct pintest_range *range)
{
	struct pintest_devmap *map;
	int ret = pintest_devmap_missing();

	if (ret == -ENODEV)
		return ret;
	map = pintest_devmap_writable(range);
	if (!map)
		return -EPERM;
	pintest_devmap_put(map);
	return 0;
}

/*
 * One step of the in-flight writer on the device: the pattern of @seed
 * written from @offset through @range's mapping for device writes, at most
 * @length bytes and one transfer, *@done of them.  ENOENT once the range
 * has no such mapping any more, ENODEV once the device is gone.
 */
int pintest_device_fill_step(struct pintest_range *range, u64 offset,
			     u64 length, u64 seed, u64 *done)
{
	struct pintest_walk walk = {
		.op = PINTEST_DMA_FILL,
		.offset = offset,
		.length = min3(length, (u64)PINTEST_EDU_XFER_MAX,
			       PAGE_SIZE - offset_in_page(offset)),
		.seed = seed,
	};
	struct pintest_devmap *map;
	u64 transfers = 0;
	int ret;

	*done = 0;
	map = pintest_devmap_writable(range);
	if (!map)
		return -ENOENT;
	ret = pintest_devmap_walk(map, &walk, &transfers);
	pintest_devmap_put(map);
	if (!ret)
		*done = walk.length;
	return ret;
}

/*
 * Every mapping of @range, which is leaving its table, torn down before
 * its pages are unpinned.  Whoever takes a mapping out of its file's
 * table tears it down: one DEVICE_UNMAP may be doing so for one of them.
 */
void pintest_device_unmap_range(struct xarray *maps, struct pintest_range *range)
{
	struct pintest_devmap *map, *next;
	LIST_HEAD(gone);

	mutex_lock(&pintest_devmaps_lock);
	range->devmaps_closed = true;
	list_for_each_entry_safe(map, next, &range->devmaps, node) {
		/* one still being made is its DEVICE_MAP's: publish sees closed */
		if (map->published &&
		    xa_cmpxchg(maps, map->id, map, NULL, GFP_KERNEL) == map)
			list_move(&map->node, &gone);
	}
	mutex_unlock(&pintest_devmaps_lock);
	list_for_each_entry_safe(map, next, &gone, node) {
		list_del_init(&map->node);
		pintest_devmap_unmap_put(map);
	}
}
