// SPDX-License-Identifier: GPL-2.0
/*
 * A real bus-master device: QEMU's edu PCI device (1234:11e8, QEMU's
 * docs/specs/edu.rst).  A pin's pages are mapped for it with
 * dma_map_sgtable(), as drivers of RDMA, GPUs and vfio do, and it copies
 * between its 4 KiB buffer and the pages by bus address, one transfer at
 * a time, each completed by its MSI.  The buffer is reachable only by
 * DMA, so what the device writes gets there, and what it read leaves it,
 * through a coherent staging buffer of the driver: a second transfer.
 * Whether the bus address is the physical one, a swiotlb bounce slot or
 * an IOMMU's IOVA is the DMA API's business, which is the point.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "pintest.h"

#define PINTEST_EDU_VENDOR	0x1234
#define PINTEST_EDU_DEVICE	0x11e8

/* edu's registers (BAR 0) */
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		0x1
#define EDU_CMD_TO_RAM		0x2	/* else from RAM to the buffer */
#define EDU_CMD_IRQ		0x4
#define EDU_IRQ_DMA		0x100
/* its buffer, at this address on the device's side of a transfer */
#define EDU_BUF			0x40000
#define EDU_BUF_SIZE		4096
/*
 * QEMU 7.2's edu refuses (and aborts QEMU on) a transfer that ends at the
 * end of its buffer, an off-by-one in edu_check_range(): half of it.
 */
#define EDU_XFER_MAX		(EDU_BUF_SIZE / 2)

/* A transfer takes 100 ms of QEMU's virtual time; TCG may lag far behind. */
#define EDU_TIMEOUT_MS		10000

static unsigned int pintest_edu_dma_bits = 28;
module_param_named(edu_dma_bits, pintest_edu_dma_bits, uint, 0444);
MODULE_PARM_DESC(edu_dma_bits, "DMA mask of the edu device in bits, as QEMU's dma_mask property (default 28)");

/**
 * struct pintest_edu - the bound device
 * @pdev: its PCI device
 * @mmio: BAR 0
 * @done: completed by the interrupt of a transfer
 * @stage: the coherent staging buffer, EDU_BUF_SIZE bytes (under @lock)
 * @stage_bus: its bus address
 * @lock: serialises transfers, DEVICE_MAP and DEVICE_UNMAP of every file,
 *	and the lists of mappings they change (one DMA engine)
 * @broken: a transfer timed out; the device takes no more (under @lock)
 */
struct pintest_edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct completion done;
	u8 *stage;
	dma_addr_t stage_bus;
	struct mutex lock;	/* see @lock above */
	bool broken;
};

/* Set by probe, cleared by remove; remove runs only at module unload, when
 * no file is open (the driver has no bind attributes), so ioctls see it
 * stable.
 */
static struct pintest_edu *pintest_edu;

/**
 * struct pintest_devmap - one DEVICE_MAP
 * @range: the pin; the mapping holds a reference
 * @node: in @range->devmaps
 * @sgt: the pin's pages, mapped for the device
 * @dir: DMA_FROM_DEVICE, DMA_TO_DEVICE or DMA_BIDIRECTIONAL
 * @id: its index in the file's maps
 *
 * Created, used and destroyed under the device's lock.
 */
struct pintest_devmap {
	struct pintest_range *range;
	struct list_head node;
	struct sg_table sgt;
	enum dma_data_direction dir;
	u32 id;
};

static irqreturn_t pintest_edu_irq(int irq, void *data)
{
	struct pintest_edu *edu = data;
	u32 status = ioread32(edu->mmio + EDU_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	iowrite32(status, edu->mmio + EDU_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&edu->done);
	return IRQ_HANDLED;
}

/*
 * One transfer of @n bytes between the device's buffer and bus address
 * @bus, under the device's lock.  A fatal signal does not cut it short:
 * the device must be done with the pages before anyone may unmap them.
 */
static int pintest_edu_transfer(struct pintest_edu *edu, dma_addr_t bus,
				size_t n, bool to_ram)
{
	u64 cmd = EDU_CMD_START | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0);

	if (edu->broken)
		return -EIO;
	reinit_completion(&edu->done);
	writeq(to_ram ? EDU_BUF : bus, edu->mmio + EDU_DMA_SRC);
	writeq(to_ram ? bus : EDU_BUF, edu->mmio + EDU_DMA_DST);
	writeq(n, edu->mmio + EDU_DMA_COUNT);
	writeq(cmd, edu->mmio + EDU_DMA_CMD);
	if (!wait_for_completion_timeout(&edu->done,
					 msecs_to_jiffies(EDU_TIMEOUT_MS))) {
		edu->broken = true;
		pci_err(edu->pdev, "DMA transfer timed out; device disabled\n");
		return -ETIMEDOUT;
	}
	return 0;
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
 * cross a page (nor the end of a DMA segment).  A device write is staged
 * and moved into the device's buffer first; a device read leaves the
 * buffer for the stage after.  *@transfers counts those with the pages.
 */
static int pintest_devmap_walk(struct pintest_edu *edu,
			       struct pintest_devmap *map,
			       struct pintest_walk *walk, u64 *transfers)
{
	bool to_ram = pintest_walk_writes(walk);
	u64 done = 0;
	int ret = 0;

	while (done < walk->length) {
		u64 pos = walk->offset + done;
		size_t n = min_t(u64, PAGE_SIZE - offset_in_page(pos),
				 walk->length - done), contiguous;
		dma_addr_t bus = pintest_devmap_bus(&map->sgt, pos, &contiguous);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min3(n, contiguous, (size_t)EDU_XFER_MAX);
		if (to_ram) {
			ret = pintest_walk_step(edu->stage, pos, n, done, walk);
			ret = ret ?: pintest_edu_transfer(edu, edu->stage_bus, n, false);
			ret = ret ?: pintest_edu_transfer(edu, bus, n, true);
		} else {
			ret = pintest_edu_transfer(edu, bus, n, false);
			ret = ret ?: pintest_edu_transfer(edu, edu->stage_bus, n, true);
			ret = ret ?: pintest_walk_step(edu->stage, pos, n, done, walk);
		}
		if (ret)
			break;
		(*transfers)++;
		done += n;
	}
	atomic64_add(done, &pintest_counters.dma_bytes);
	return ret;
}

/* What INFO reports: the path to memory, and the mask in *@dma_bits. */
u32 pintest_device_path(u32 *dma_bits)
{
	struct pintest_edu *edu = pintest_edu;
	struct iommu_domain *domain;
	struct device *dev;

	*dma_bits = 0;
	if (!edu)
		return PINTEST_DEVICE_NONE;
	dev = &edu->pdev->dev;
	*dma_bits = fls64(dma_get_mask(dev));
	domain = iommu_get_domain_for_dev(dev);
	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return PINTEST_DEVICE_IOMMU;
	if (dma_get_required_mask(dev) > dma_get_mask(dev))
		return PINTEST_DEVICE_SWIOTLB;
	return PINTEST_DEVICE_DIRECT;
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
 * An sg table of all of @range's pages, in segments no longer than the
 * DMA API maps for @dev in one piece (swiotlb bounces at most 256 KiB).
 */
static int pintest_devmap_table(struct device *dev, struct pintest_range *range,
				struct sg_table *sgt)
{
	size_t max_segment = min_t(size_t, dma_max_mapping_size(dev), SZ_1G);
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
	struct pintest_edu *edu = pintest_edu;
	struct pintest_devmap *map, *other;
	int ret;

	if (!flags || flags & ~(PINTEST_MAP_DEVICE_WRITES | PINTEST_MAP_DEVICE_READS))
		return -EINVAL;
	if (!edu)
		return -ENODEV;
	if (flags & PINTEST_MAP_DEVICE_WRITES && !range->writable)
		return -EPERM;
	map = pintest_kzalloc_obj(*map, GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->dir = pintest_map_dir(flags);
	INIT_LIST_HEAD(&map->node);

	mutex_lock(&edu->lock);
	/* UNPIN got in between the lookup and here: it unmapped already */
	ret = -ENOENT;
	if (range->devmaps_closed)
		goto err_unlock;
	list_for_each_entry(other, &range->devmaps, node) {
		if (pintest_dirs_overlap(other->dir, map->dir)) {
			ret = -EBUSY;
			goto err_unlock;
		}
	}
	ret = pintest_devmap_table(&edu->pdev->dev, range, &map->sgt);
	if (ret)
		goto err_unlock;
	ret = dma_map_sgtable(&edu->pdev->dev, &map->sgt, map->dir, 0);
	if (ret)
		goto err_table;
	ret = xa_alloc(maps, &map->id, XA_ZERO_ENTRY, xa_limit_31b, GFP_KERNEL);
	if (ret)
		goto err_unmap;
	pintest_range_get(range);
	map->range = range;
	*mapp = map;
	*id = map->id;
	*segments = map->sgt.nents;
	*bus = show_bus ? sg_dma_address(map->sgt.sgl) : 0;
	mutex_unlock(&edu->lock);
	return 0;

err_unmap:
	dma_unmap_sgtable(&edu->pdev->dev, &map->sgt, map->dir, 0);
err_table:
	sg_free_table(&map->sgt);
err_unlock:
	mutex_unlock(&edu->lock);
	kfree(map);
	return ret;
}

/* Tears @map down: out of @maps, unmapped, its pin's reference dropped. */
static void pintest_devmap_free(struct pintest_edu *edu, struct xarray *maps,
				struct pintest_devmap *map)
{
	xa_erase(maps, map->id);
	list_del(&map->node);
	dma_unmap_sgtable(&edu->pdev->dev, &map->sgt, map->dir, 0);
	sg_free_table(&map->sgt);
	pintest_range_put(map->range);
	kfree(map);
}

/*
 * The caller of DEVICE_MAP knows @map's id: it becomes a mapping of its
 * pin, unless UNPIN released the pin meanwhile and so unmapped it.
 * Replacing the reserved entry allocates nothing, so it cannot fail.
 */
void pintest_device_map_publish(struct xarray *maps, struct pintest_devmap *map)
{
	struct pintest_edu *edu = pintest_edu;

	mutex_lock(&edu->lock);
	if (map->range->devmaps_closed) {
		pintest_devmap_free(edu, maps, map);
	} else {
		list_add_tail(&map->node, &map->range->devmaps);
		xa_store(maps, map->id, map, GFP_KERNEL);
	}
	mutex_unlock(&edu->lock);
}

/* The reply of DEVICE_MAP could not be copied out: nobody knows @map. */
void pintest_device_map_abort(struct xarray *maps, struct pintest_devmap *map)
{
	struct pintest_edu *edu = pintest_edu;

	mutex_lock(&edu->lock);
	pintest_devmap_free(edu, maps, map);
	mutex_unlock(&edu->lock);
}

/* DEVICE_DMA: @walk's bytes moved by the device through mapping @id. */
int pintest_device_dma(struct xarray *maps, u32 id, bool sync,
		       struct pintest_walk *walk, u64 *transfers)
{
	struct pintest_edu *edu = pintest_edu;
	struct pintest_devmap *map;
	struct device *dev;
	int ret;

	if (!edu)
		return -ENODEV;
	dev = &edu->pdev->dev;
	mutex_lock(&edu->lock);
	map = xa_load(maps, id);
	ret = -ENOENT;
	if (!map)
		goto out;
	ret = pintest_range_check_bytes(map->range, walk->offset, walk->length);
	if (ret)
		goto out;
	ret = -EPERM;
	if (map->dir == (pintest_walk_writes(walk) ? DMA_TO_DEVICE : DMA_FROM_DEVICE))
		goto out;
	walk->mismatches = 0;
	walk->first_mismatch = ~0ULL;
	*transfers = 0;
	if (sync && !pintest_walk_writes(walk))
		dma_sync_sgtable_for_device(dev, &map->sgt, map->dir);
	ret = pintest_devmap_walk(edu, map, walk, transfers);
	if (sync && pintest_walk_writes(walk))
		dma_sync_sgtable_for_cpu(dev, &map->sgt, map->dir);
out:
	mutex_unlock(&edu->lock);
	return ret;
}

/*
 * DEVICE_DMA to a bus address of no mapping (@walk->offset), as a stale
 * one: only through a translating IOMMU, which faults it, and only for
 * CAP_SYS_RAWIO.  A device write of at most one transfer.
 */
int pintest_device_dma_bus(struct pintest_walk *walk, u64 *transfers)
{
	struct pintest_edu *edu = pintest_edu;
	dma_addr_t bus = walk->offset;
	u32 bits;
	int ret;

	if (!pintest_walk_writes(walk) || walk->length > EDU_XFER_MAX ||
	    offset_in_page(bus) + walk->length > PAGE_SIZE)
		return -EINVAL;
	if (!edu)
		return -ENODEV;
	if (!capable(CAP_SYS_RAWIO) ||
	    pintest_device_path(&bits) != PINTEST_DEVICE_IOMMU)
		return -EPERM;
	mutex_lock(&edu->lock);
	ret = pintest_walk_step(edu->stage, 0, walk->length, 0, walk);
	ret = ret ?: pintest_edu_transfer(edu, edu->stage_bus, walk->length, false);
	ret = ret ?: pintest_edu_transfer(edu, bus, walk->length, true);
	mutex_unlock(&edu->lock);
	*transfers = !ret;
	return ret;
}

/* DEVICE_UNMAP of mapping @id. */
int pintest_device_unmap(struct xarray *maps, u32 id)
{
	struct pintest_edu *edu = pintest_edu;
	struct pintest_devmap *map;
	int ret = 0;

	if (!edu)
		return -ENODEV;
	mutex_lock(&edu->lock);
	map = xa_load(maps, id);
	if (map)
		pintest_devmap_free(edu, maps, map);
	else
		ret = -ENOENT;
	mutex_unlock(&edu->lock);
	return ret;
}

/* @range's mapping for device writes, under the device's lock; or NULL. */
static struct pintest_devmap *pintest_devmap_writable(struct pintest_range *range)
{
	struct pintest_devmap *map;

	list_for_each_entry(map, &range->devmaps, node) {
		if (map->dir != DMA_TO_DEVICE)
			return map;
	}
	return NULL;
}

/* Whether the device may write @range now: ENODEV, EPERM or 0. */
int pintest_device_can_write(struct pintest_range *range)
{
	struct pintest_edu *edu = pintest_edu;
	int ret;

	if (!edu)
		return -ENODEV;
	mutex_lock(&edu->lock);
	ret = pintest_devmap_writable(range) ? 0 : -EPERM;
	mutex_unlock(&edu->lock);
	return ret;
}

/*
 * One step of the in-flight writer on the device: the pattern of @seed
 * written from @offset through @range's mapping for device writes, at most
 * @length bytes and one transfer, *@done of them.  ENOENT once the range
 * has no such mapping any more.
 */
int pintest_device_fill_step(struct pintest_range *range, u64 offset,
			     u64 length, u64 seed, u64 *done)
{
	struct pintest_edu *edu = pintest_edu;
	struct pintest_walk walk = {
		.op = PINTEST_DMA_FILL,
		.offset = offset,
		.length = min3(length, (u64)EDU_XFER_MAX,
			       PAGE_SIZE - offset_in_page(offset)),
		.seed = seed,
	};
	struct pintest_devmap *map;
	u64 transfers = 0;
	int ret;

	*done = 0;
	if (!edu)
		return -ENODEV;
	mutex_lock(&edu->lock);
	map = pintest_devmap_writable(range);
	ret = map ? pintest_devmap_walk(edu, map, &walk, &transfers) : -ENOENT;
	mutex_unlock(&edu->lock);
	if (!ret)
		*done = walk.length;
	return ret;
}

/*
 * Every mapping of @range, which is leaving its table, torn down: after
 * the transfer in flight (the lock), before its pages are unpinned.
 */
void pintest_device_unmap_range(struct xarray *maps, struct pintest_range *range)
{
	struct pintest_edu *edu = pintest_edu;
	struct pintest_devmap *map, *next;

	if (!edu)
		return;
	mutex_lock(&edu->lock);
	range->devmaps_closed = true;
	list_for_each_entry_safe(map, next, &range->devmaps, node)
		pintest_devmap_free(edu, maps, map);
	mutex_unlock(&edu->lock);
}

static int pintest_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pintest_edu *edu;
	int ret;

	if (pintest_edu)
		return -EBUSY;	/* one device is enough */
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	init_completion(&edu->done);
	mutex_init(&edu->lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(pintest_edu_dma_bits));
	if (ret)
		return ret;
	edu->mmio = pcim_iomap(pdev, 0, 0);
	if (!edu->mmio)
		return -ENOMEM;
	edu->stage = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE,
					 &edu->stage_bus, GFP_KERNEL);
	if (!edu->stage)
		return -ENOMEM;
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), pintest_edu_irq, 0,
			  "pintest-edu", edu);
	if (ret)
		goto err_vectors;
	pci_set_drvdata(pdev, edu);
	pintest_edu = edu;
	pci_info(pdev, "edu device bound, %u-bit DMA\n", pintest_edu_dma_bits);
	return 0;

err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void pintest_edu_remove(struct pci_dev *pdev)
{
	struct pintest_edu *edu = pci_get_drvdata(pdev);

	pintest_edu = NULL;
	free_irq(pci_irq_vector(pdev, 0), edu);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id pintest_edu_ids[] = {
	{ PCI_DEVICE(PINTEST_EDU_VENDOR, PINTEST_EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, pintest_edu_ids);

static struct pci_driver pintest_edu_driver = {
	.name = "pintest-edu",
	.id_table = pintest_edu_ids,
	.probe = pintest_edu_probe,
	.remove = pintest_edu_remove,
	/* no unbind behind the back of open files and their mappings */
	.driver.suppress_bind_attrs = true,
};

int pintest_device_init(void)
{
	return pci_register_driver(&pintest_edu_driver);
}

void pintest_device_exit(void)
{
	pci_unregister_driver(&pintest_edu_driver);
}
