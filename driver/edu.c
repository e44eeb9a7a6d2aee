// SPDX-License-Identifier: GPL-2.0
/*
 * The edu PCI driver: QEMU's edu device (1234:11e8, QEMU's
 * docs/specs/edu.rst), a bus master that copies between its 4 KiB buffer
 * and bus addresses, one transfer at a time, each completed by its MSI.
 * The buffer is reachable only by DMA, so what the device writes gets
 * there, and what it read leaves it, through a coherent staging buffer of
 * the driver: a second transfer.
 *
 * The device may go at any time (sysfs remove, hot unplug), while files
 * hold mappings for it and calls are in flight.  So the bound device is a
 * refcounted object: a call takes a reference, every mapping holds one,
 * and removal stops new calls (ENODEV), waits for the transfer in flight,
 * then revokes every mapping (unmapped, its pin left to its owner) before
 * the device's resources go.  No caller waits on @lock for anything but
 * the device: user memory is copied outside it (devmap.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

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
static_assert(EDU_BUF_SIZE == 2 * PINTEST_EDU_XFER_MAX);

/* A transfer takes 100 ms of QEMU's virtual time; TCG may lag far behind. */
#define EDU_TIMEOUT_MS		10000

static unsigned int pintest_edu_dma_bits = 28;
module_param_named(edu_dma_bits, pintest_edu_dma_bits, uint, 0444);
MODULE_PARM_DESC(edu_dma_bits, "DMA mask of the edu device in bits, as QEMU's dma_mask property (default 28)");

/**
 * struct pintest_edu - the bound device
 * @ref: the binding holds one reference, every call using the device and
 *	every mapping for it one each; the last put frees the object
 * @pdev: its PCI device (a reference held)
 * @path: PINTEST_DEVICE_*, the path its bus addresses take, found at probe:
 *	the device's IOMMU state may be gone by the time a caller asks
 * @dma_bits: its DMA mask in bits
 * @max_segment: the most bytes the DMA API maps in one piece for it
 * @mmio: BAR 0 (under @lock once bound)
 * @done: completed by the interrupt of a transfer
 * @stage: the coherent staging buffer, EDU_BUF_SIZE bytes (under @lock)
 * @stage_bus: its bus address
 * @lock: serialises transfers (one DMA engine), and guards @maps, each
 *	mapping's @mapped, @broken and @gone; held for one transfer with
 *	the pages (two with the device's buffer), a DMA API call, or
 *	removal's revocations; never across user memory
 * @maps: every struct pintest_edu_map mapped for the device (under @lock)
 * @broken: a transfer timed out; the device takes no more (under @lock)
 * @gone: removed; no transfer or mapping any more (under @lock)
 */
struct pintest_edu {
	struct kref ref;
	struct pci_dev *pdev;
	u32 path;
	u32 dma_bits;
	size_t max_segment;
	void __iomem *mmio;
	struct completion done;
	u8 *stage;
	dma_addr_t stage_bus;
	struct mutex lock;	/* see @lock above */
	struct list_head maps;
	bool broken;
	bool gone;
};

/* The bound device, set by probe and cleared by remove, under the spinlock. */
static struct pintest_edu *pintest_edu;
static DEFINE_SPINLOCK(pintest_edu_bind_lock);

static void pintest_edu_free(struct kref *ref)
{
	struct pintest_edu *edu = container_of(ref, struct pintest_edu, ref);

	pci_dev_put(edu->pdev);
	kfree(edu);
}

/* The bound device with a reference the caller puts; NULL when none. */
struct pintest_edu *pintest_edu_get(void)
{
	struct pintest_edu *edu;

	spin_lock(&pintest_edu_bind_lock);
	edu = pintest_edu;
	if (edu)
		kref_get(&edu->ref);
	spin_unlock(&pintest_edu_bind_lock);
	return edu;
}

void pintest_edu_put(struct pintest_edu *edu)
{
	kref_put(&edu->ref, pintest_edu_free);
}

/* The most bytes the DMA API maps for the device in one segment. */
size_t pintest_edu_max_segment(struct pintest_edu *edu)
{
	return edu->max_segment;
}

/* What INFO reports: the path to memory, and the mask in *@dma_bits. */
u32 pintest_edu_path(struct pintest_edu *edu, u32 *dma_bits)
{
	*dma_bits = edu->dma_bits;
	return edu->path;
}

/* Asked of a bound device only: its IOMMU state goes with its removal. */
static u32 pintest_edu_find_path(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return PINTEST_DEVICE_IOMMU;
	if (dma_get_required_mask(dev) > dma_get_mask(dev))
		return PINTEST_DEVICE_SWIOTLB;
	return PINTEST_DEVICE_DIRECT;
}

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
 * @bus.  A fatal signal does not cut it short: the device must be done
 * with the pages before anyone may unmap them.
 */
static int pintest_edu_transfer(struct pintest_edu *edu, dma_addr_t bus,
				size_t n, bool to_ram)
{
	u64 cmd = EDU_CMD_START | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0);

	lockdep_assert_held(&edu->lock);
	if (edu->broken)
		return -EIO;
	reinit_completion(&edu->done);
	writeq(to_ram ? EDU_BUF : bus, edu->mmio + EDU_DMA_SRC);
	writeq(to_ram ? bus : EDU_BUF, edu->mmio + EDU_DMA_DST);
	writeq(n, edu->mmio + EDU_DMA_COUNT);
	writeq(cmd, edu->mmio + EDU_DMA_CMD);
	if (!wait_for_completion_timeout(&edu->done,
					 msecs_to_jiffies(EDU_TIMEOUT_MS))) {
		/* no late transfer may reach pages about to be unmapped */
		pci_clear_master(edu->pdev);
		edu->broken = true;
		pci_err(edu->pdev, "DMA transfer timed out; device disabled\n");
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * The device copies @n bytes (at most PINTEST_EDU_XFER_MAX) between the
 * kernel buffer @buf and bus address @bus of mapping @map, or of no
 * mapping when @map is NULL: ENODEV once removed, ENOENT once @map was
 * unmapped, EINTR for a fatal signal before it starts.
 */
int pintest_edu_copy(struct pintest_edu *edu, struct pintest_edu_map *map,
		     dma_addr_t bus, void *buf, size_t n, bool to_ram)
{
	int ret;

	if (mutex_lock_killable(&edu->lock))
		return -EINTR;
	ret = -ENODEV;
	if (edu->gone)
		goto out;
	ret = -ENOENT;
	if (map && !map->mapped)
		goto out;
	if (to_ram) {
		memcpy(edu->stage, buf, n);
		ret = pintest_edu_transfer(edu, edu->stage_bus, n, false);
		ret = ret ?: pintest_edu_transfer(edu, bus, n, true);
	} else {
		ret = pintest_edu_transfer(edu, bus, n, false);
		ret = ret ?: pintest_edu_transfer(edu, edu->stage_bus, n, true);
		if (!ret)
			memcpy(buf, edu->stage, n);
	}
out:
	mutex_unlock(&edu->lock);
	return ret;
}

/* @map->sgt mapped for the device in @map->dir: ENODEV once removed. */
int pintest_edu_map(struct pintest_edu *edu, struct pintest_edu_map *map)
{
	int ret;

	if (mutex_lock_killable(&edu->lock))
		return -EINTR;
	ret = -ENODEV;
	if (!edu->gone)
		ret = dma_map_sgtable(&edu->pdev->dev, &map->sgt, map->dir, 0);
	if (!ret) {
		WRITE_ONCE(map->mapped, true);
		list_add_tail(&map->node, &edu->maps);
	}
	mutex_unlock(&edu->lock);
	return ret;
}

static void pintest_edu_revoke(struct pintest_edu *edu,
			       struct pintest_edu_map *map)
{
	lockdep_assert_held(&edu->lock);
	dma_unmap_sgtable(&edu->pdev->dev, &map->sgt, map->dir, 0);
	WRITE_ONCE(map->mapped, false);	/* a hint to devmap.c, see there */
	list_del(&map->node);
}

/*
 * @map unmapped, after the transfer in flight, unless removal revoked it
 * already.  Not killable: close and exit must unmap, and the wait is for
 * the device alone.
 */
void pintest_edu_unmap(struct pintest_edu *edu, struct pintest_edu_map *map)
{
	mutex_lock(&edu->lock);
	if (map->mapped)
		pintest_edu_revoke(edu, map);
	mutex_unlock(&edu->lock);
}

/* dma_sync_sgtable_for_device() or _for_cpu() of @map while mapped. */
int pintest_edu_sync(struct pintest_edu *edu, struct pintest_edu_map *map,
		     bool for_device)
{
	int ret = 0;

	if (mutex_lock_killable(&edu->lock))
		return -EINTR;
	if (edu->gone)
		ret = -ENODEV;
	else if (!map->mapped)
		ret = -ENOENT;
	else if (for_device)
		dma_sync_sgtable_for_device(&edu->pdev->dev, &map->sgt, map->dir);
	else
		dma_sync_sgtable_for_cpu(&edu->pdev->dev, &map->sgt, map->dir);
	mutex_unlock(&edu->lock);
	return ret;
}

static int pintest_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pintest_edu *edu;
	int ret;

	edu = pintest_kzalloc_obj(*edu, GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	kref_init(&edu->ref);
	edu->pdev = pci_dev_get(pdev);
	init_completion(&edu->done);
	mutex_init(&edu->lock);
	INIT_LIST_HEAD(&edu->maps);

	ret = pcim_enable_device(pdev);
	if (ret)
		goto err_put;
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(pintest_edu_dma_bits));
	if (ret)
		goto err_put;
	edu->dma_bits = fls64(dma_get_mask(&pdev->dev));
	edu->max_segment = min_t(size_t, dma_max_mapping_size(&pdev->dev), SZ_1G);
	edu->path = pintest_edu_find_path(&pdev->dev);
	ret = -ENOMEM;
	edu->mmio = pcim_iomap(pdev, 0, 0);
	if (!edu->mmio)
		goto err_put;
	edu->stage = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE,
					 &edu->stage_bus, GFP_KERNEL);
	if (!edu->stage)
		goto err_put;
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		goto err_put;
	ret = request_irq(pci_irq_vector(pdev, 0), pintest_edu_irq, 0,
			  "pintest-edu", edu);
	if (ret)
		goto err_vectors;

	spin_lock(&pintest_edu_bind_lock);
	ret = pintest_edu ? -EBUSY : 0;	/* one device is enough */
	if (!ret)
		pintest_edu = edu;
	spin_unlock(&pintest_edu_bind_lock);
	if (ret)
		goto err_irq;
	pci_set_drvdata(pdev, edu);
	pci_info(pdev, "edu device bound, %u-bit DMA\n", pintest_edu_dma_bits);
	return 0;

err_irq:
	free_irq(pci_irq_vector(pdev, 0), edu);
err_vectors:
	pci_free_irq_vectors(pdev);
err_put:
	pintest_edu_put(edu);
	return ret;
}

/*
 * Removal, in the order a driver keeps: no new call finds the device, the
 * transfer in flight ends (the lock), every mapping is unmapped, then the
 * interrupt goes; the pins stay with their files.  Objects that still
 * hold a reference see @gone and answer ENODEV.
 */
static void pintest_edu_remove(struct pci_dev *pdev)
{
	struct pintest_edu *edu = pci_get_drvdata(pdev);
	struct pintest_edu_map *map, *next;
	unsigned int revoked = 0;

	spin_lock(&pintest_edu_bind_lock);
	pintest_edu = NULL;
	spin_unlock(&pintest_edu_bind_lock);

	mutex_lock(&edu->lock);
	edu->gone = true;
	pci_clear_master(pdev);
	list_for_each_entry_safe(map, next, &edu->maps, node) {
		pintest_edu_revoke(edu, map);
		revoked++;
	}
	mutex_unlock(&edu->lock);
	free_irq(pci_irq_vector(pdev, 0), edu);
	pci_free_irq_vectors(pdev);
	pci_info(pdev, "edu device removed, %u mappings revoked\n", revoked);
	pintest_edu_put(edu);
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
};

int pintest_edu_init(void)
{
	return pci_register_driver(&pintest_edu_driver);
}

void pintest_edu_exit(void)
{
	pci_unregister_driver(&pintest_edu_driver);
}
