// SPDX-License-Identifier: GPL-2.0
/*
 * pintest: a misc device that pins user memory with pin_user_pages*(),
 * reports what the kernel thinks of the pinned pages, "DMAs" into them as
 * a device would and releases them, so that the pinning API can be tested
 * from userspace.  The ioctl ABI is in uapi/linux/pintest.h.
 *
 * This file holds the module, the device, the statistics and the ioctl
 * dispatch table: every ioctl's size, flags and reserved fields are
 * checked here or in the one handler it names.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

unsigned int pintest_max_pin_pages = 1U << 20;
module_param_named(max_pin_pages, pintest_max_pin_pages, uint, 0644);
MODULE_PARM_DESC(max_pin_pages, "most pages one pin may hold (default 1048576)");

unsigned int pintest_max_handles = 65536;
module_param_named(max_handles, pintest_max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles, "most pins one open file may hold (default 65536)");

unsigned int pintest_max_writers = 64;
module_param_named(max_writers, pintest_max_writers, uint, 0644);
MODULE_PARM_DESC(max_writers, "most in-flight writers one open file may run (default 64)");

unsigned int pintest_writer_max_ms = 60000;
module_param_named(writer_max_ms, pintest_writer_max_ms, uint, 0644);
MODULE_PARM_DESC(writer_max_ms, "life of a writer started without count or duration (default 60000)");

struct pintest_counters pintest_counters;

/* An ioctl in flight: the kernel's copy of the struct and where it came from. */
struct pintest_ucmd {
	struct pintest_file *pf;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

static int pintest_respond(struct pintest_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, size, ucmd->user_size)))
		return -EFAULT;
	return 0;
}

static int pintest_ioctl_info(struct pintest_ucmd *ucmd)
{
	struct pintest_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	cmd->out_abi_version = PINTEST_ABI_VERSION;
	cmd->out_page_size = PAGE_SIZE;
	cmd->out_methods = PINTEST_PIN_METHODS |
			   (PINTEST_HAVE_MEMFD_PIN ? PINTEST_PIN_MEMFD : 0);
	cmd->out_max_pin_pages = READ_ONCE(pintest_max_pin_pages);
	cmd->out_max_handles = READ_ONCE(pintest_max_handles);
	cmd->out_kernel_version = PINTEST_BUILT_FOR;
	cmd->out_page_entry_size = sizeof(struct pintest_page);
	cmd->out_longterm_methods = PINTEST_LONGTERM_METHODS;
	cmd->out_device_path = pintest_device_path(&cmd->out_device_dma_bits);
	return pintest_respond(ucmd, sizeof(*cmd));
}

/*
 * Gives the new @range, whose reference the caller holds, a handle.  The
 * handle is reserved, then answered, then published: a thread sharing the
 * file cannot UNPIN the range before this one is done with it, and a reply
 * that cannot be copied out releases nothing but this pin.  @handle and
 * @npages are fields of the reply, @size its struct's size.
 */
static int pintest_give_handle(struct pintest_ucmd *ucmd,
			       struct pintest_range *range, u32 *handle,
			       u64 *npages, size_t size)
{
	int ret;

	ret = pintest_handle_reserve(ucmd->pf, handle);
	if (ret)
		goto err_put;
	*npages = range->npages;
	ret = pintest_respond(ucmd, size);
	if (ret)
		goto err_abort;
	pintest_handle_publish(ucmd->pf, *handle, range);
	return 0;

err_abort:
	pintest_handle_abort(ucmd->pf, *handle);
err_put:
	pintest_range_put(range);
	return ret;
}

static int pintest_ioctl_pin(struct pintest_ucmd *ucmd)
{
	struct pintest_pin *cmd = ucmd->cmd;
	struct pintest_range *range;
	int ret;

	ret = pintest_pin(cmd, &range, &cmd->out_pin_ns);
	if (ret)
		return ret;
	return pintest_give_handle(ucmd, range, &cmd->out_handle,
				   &cmd->out_npages, sizeof(*cmd));
}

static int pintest_ioctl_pin_memfd(struct pintest_ucmd *ucmd)
{
	struct pintest_pin_memfd *cmd = ucmd->cmd;
	struct pintest_range *range;
	int ret;

	ret = pintest_pin_memfd(cmd, &range, &cmd->out_pin_ns,
				&cmd->out_nfolios);
	if (ret)
		return ret;
	return pintest_give_handle(ucmd, range, &cmd->out_handle,
				   &cmd->out_npages, sizeof(*cmd));
}

static int pintest_ioctl_query(struct pintest_ucmd *ucmd)
{
	struct pintest_query *cmd = ucmd->cmd;
	struct pintest_range *range;
	int ret;

	range = pintest_handle_get(ucmd->pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_query(range, cmd, ucmd->pf->show_pfn);
	pintest_range_put(range);
	return ret;
}

static int pintest_ioctl_probe(struct pintest_ucmd *ucmd)
{
	return pintest_probe(ucmd->cmd, ucmd->pf->show_pfn);
}

static int pintest_ioctl_unpin(struct pintest_ucmd *ucmd)
{
	struct pintest_unpin *cmd = ucmd->cmd;
	u64 t0 = ktime_get_ns();
	int ret;

	if (cmd->flags & ~PINTEST_UNPIN_DIRTY || cmd->__reserved)
		return -EINVAL;
	ret = pintest_handle_unpin(ucmd->pf, cmd->handle,
				   cmd->flags & PINTEST_UNPIN_DIRTY);
	if (ret)
		return ret;
	cmd->out_unpin_ns = ktime_get_ns() - t0;
	return pintest_respond(ucmd, sizeof(*cmd));
}

/* The walk a DMA or DEVICE_DMA request names. */
static struct pintest_walk pintest_walk_of(u32 op, u64 offset, u64 length,
					   u64 buf, u64 seed)
{
	return (struct pintest_walk){
		.op = op,
		.offset = offset,
		.length = length,
		.buf = u64_to_user_ptr(buf),
		.seed = seed,
	};
}

/* WRITE and READ move bytes through @buf, FILL and VERIFY use @seed. */
static int pintest_check_walk(const struct pintest_walk *walk)
{
	bool uses_buf;

	if (!walk->length)
		return -EINVAL;
	switch (walk->op) {
	case PINTEST_DMA_WRITE:
	case PINTEST_DMA_READ:
		uses_buf = true;
		break;
	case PINTEST_DMA_FILL:
	case PINTEST_DMA_VERIFY:
		uses_buf = false;
		break;
	default:
		return -EINVAL;
	}
	if (uses_buf ? walk->seed != 0 : !!walk->buf)
		return -EINVAL;
	return 0;
}

static int pintest_ioctl_dma(struct pintest_ucmd *ucmd)
{
	struct pintest_dma *cmd = ucmd->cmd;
	struct pintest_walk walk = pintest_walk_of(cmd->op, cmd->offset,
						   cmd->length, cmd->buf,
						   cmd->seed);
	struct pintest_range *range;
	int ret;

	if (cmd->flags)
		return -EINVAL;
	ret = pintest_check_walk(&walk);
	if (ret)
		return ret;
	range = pintest_handle_get(ucmd->pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_dma(range, &walk);
	pintest_range_put(range);
	if (ret)
		return ret;
	cmd->out_mismatches = walk.mismatches;
	cmd->out_first_mismatch = walk.first_mismatch;
	return pintest_respond(ucmd, sizeof(*cmd));
}

static int pintest_ioctl_stats(struct pintest_ucmd *ucmd)
{
	struct pintest_stats *cmd = ucmd->cmd;
	struct pintest_counters *c = &pintest_counters;

	if (cmd->flags)
		return -EINVAL;
	cmd->live_pins = atomic64_read(&c->live_pins);
	cmd->live_pages = atomic64_read(&c->live_pages);
	cmd->total_pins = atomic64_read(&c->total_pins);
	cmd->total_pages = atomic64_read(&c->total_pages);
	cmd->total_unpins = atomic64_read(&c->total_unpins);
	cmd->errors = atomic64_read(&c->errors);
	cmd->dma_bytes = atomic64_read(&c->dma_bytes);
	cmd->bookkeeping_bytes = atomic64_read(&c->bookkeeping_bytes);
	return pintest_respond(ucmd, sizeof(*cmd));
}

static int pintest_ioctl_dma_start(struct pintest_ucmd *ucmd)
{
	struct pintest_dma_start *cmd = ucmd->cmd;
	struct pintest_range *range;
	int ret;

	range = pintest_handle_get(ucmd->pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_writer_start(range, cmd);
	pintest_range_put(range);
	return ret;
}

static int pintest_ioctl_dma_stop(struct pintest_ucmd *ucmd)
{
	struct pintest_dma_stop *cmd = ucmd->cmd;
	struct pintest_range *range;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	range = pintest_handle_get(ucmd->pf, cmd->handle);
	if (!range)
		return -ENOENT;
	pintest_writer_stop(range, &cmd->out_passes, &cmd->out_bytes);
	pintest_range_put(range);
	return pintest_respond(ucmd, sizeof(*cmd));
}

static int pintest_ioctl_device_map(struct pintest_ucmd *ucmd)
{
	struct pintest_device_map *cmd = ucmd->cmd;
	struct pintest_devmap *map;
	struct pintest_range *range;
	int ret;

	if (cmd->__reserved)
		return -EINVAL;
	range = pintest_handle_get(ucmd->pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_device_map(&ucmd->pf->maps, range, cmd->flags,
				 ucmd->pf->show_pfn, &map, &cmd->out_id,
				 &cmd->out_segments, &cmd->out_bus_addr);
	pintest_range_put(range);
	if (ret)
		return ret;
	/* as PIN: the id is told first, and only then may anyone use it */
	ret = pintest_respond(ucmd, sizeof(*cmd));
	if (ret)
		pintest_device_map_abort(&ucmd->pf->maps, map);
	else
		pintest_device_map_publish(&ucmd->pf->maps, map);
	return ret;
}

static int pintest_ioctl_device_dma(struct pintest_ucmd *ucmd)
{
	struct pintest_device_dma *cmd = ucmd->cmd;
	struct pintest_walk walk = pintest_walk_of(cmd->op, cmd->offset,
						   cmd->length, cmd->buf,
						   cmd->seed);
	int ret;

	if (cmd->flags & ~(PINTEST_DEVICE_DMA_SYNC | PINTEST_DEVICE_DMA_BUS))
		return -EINVAL;
	ret = pintest_check_walk(&walk);
	if (ret)
		return ret;
	if (cmd->flags & PINTEST_DEVICE_DMA_BUS)
		ret = cmd->id ? -EINVAL :
		      pintest_device_dma_bus(&walk, &cmd->out_transfers);
	else
		ret = pintest_device_dma(&ucmd->pf->maps, cmd->id,
					 cmd->flags & PINTEST_DEVICE_DMA_SYNC,
					 &walk, &cmd->out_transfers);
	if (ret)
		return ret;
	cmd->out_mismatches = walk.mismatches;
	cmd->out_first_mismatch = walk.first_mismatch;
	return pintest_respond(ucmd, sizeof(*cmd));
}

static int pintest_ioctl_device_unmap(struct pintest_ucmd *ucmd)
{
	struct pintest_device_unmap *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	return pintest_device_unmap(&ucmd->pf->maps, cmd->id);
}

union pintest_ucmd_buffer {
	struct pintest_info info;
	struct pintest_pin pin;
	struct pintest_query query;
	struct pintest_probe probe;
	struct pintest_unpin unpin;
	struct pintest_dma dma;
	struct pintest_stats stats;
	struct pintest_dma_start dma_start;
	struct pintest_dma_stop dma_stop;
	struct pintest_pin_memfd pin_memfd;
	struct pintest_device_map device_map;
	struct pintest_device_dma device_dma;
	struct pintest_device_unmap device_unmap;
};

struct pintest_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct pintest_ucmd *ucmd);
};

/*
 * PINTEST_CMD_@_NAME runs pintest_ioctl_@_name() on a struct pintest_@_name;
 * @_last is the last field of the struct's first version.  The build fails
 * for a struct the buffer cannot hold or whose size is not its first field.
 */
#define PINTEST_IOCTL_OP(_NAME, _name, _last)				\
	[PINTEST_CMD_##_NAME - PINTEST_CMD_INFO] = {			\
		.size = sizeof(struct pintest_##_name) +			\
			BUILD_BUG_ON_ZERO(sizeof(union pintest_ucmd_buffer) < \
					  sizeof(struct pintest_##_name)) +	\
			BUILD_BUG_ON_ZERO(offsetof(struct pintest_##_name,	\
						   size) != 0),		\
		.min_size = offsetofend(struct pintest_##_name, _last),	\
		.execute = pintest_ioctl_##_name,			\
	}

static const struct pintest_ioctl_op pintest_ops[] = {
	PINTEST_IOCTL_OP(INFO, info, __reserved),
	PINTEST_IOCTL_OP(PIN, pin, out_npages),
	PINTEST_IOCTL_OP(QUERY, query, pages),
	PINTEST_IOCTL_OP(PROBE, probe, pages),
	PINTEST_IOCTL_OP(UNPIN, unpin, __reserved),
	PINTEST_IOCTL_OP(DMA, dma, out_first_mismatch),
	PINTEST_IOCTL_OP(STATS, stats, dma_bytes),
	PINTEST_IOCTL_OP(DMA_START, dma_start, count),
	PINTEST_IOCTL_OP(DMA_STOP, dma_stop, out_bytes),
	PINTEST_IOCTL_OP(PIN_MEMFD, pin_memfd, out_nfolios),
	PINTEST_IOCTL_OP(DEVICE_MAP, device_map, __reserved),
	PINTEST_IOCTL_OP(DEVICE_DMA, device_dma, out_transfers),
	PINTEST_IOCTL_OP(DEVICE_UNMAP, device_unmap, __reserved),
};

static long pintest_dispatch(struct pintest_file *pf, unsigned int cmd,
			     unsigned long arg)
{
	union pintest_ucmd_buffer buf;
	const struct pintest_ioctl_op *op;
	struct pintest_ucmd ucmd = {
		.pf = pf,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr < PINTEST_CMD_INFO ||
	    nr - PINTEST_CMD_INFO >= ARRAY_SIZE(pintest_ops) ||
	    cmd != _IO(PINTEST_TYPE, nr))
		return -ENOTTY;
	op = &pintest_ops[nr - PINTEST_CMD_INFO];

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

static long pintest_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	long ret = pintest_dispatch(file->private_data, cmd, arg);

	/* User mistakes are counted, and logged at debug level only. */
	if (ret) {
		atomic64_inc(&pintest_counters.errors);
		pr_debug("ioctl %#x failed: %ld\n", cmd, ret);
	}
	return ret;
}

static int pintest_open(struct inode *inode, struct file *file)
{
	struct pintest_file *pf = pintest_kzalloc_obj(*pf, GFP_KERNEL_ACCOUNT);

	if (!pf)
		return -ENOMEM;
	/* the opener's credentials, as pagemap: not those of an ioctl caller */
	pintest_file_init(pf, file_ns_capable(file, &init_user_ns,
					      CAP_SYS_ADMIN));
	file->private_data = pf;
	return 0;
}

static int pintest_release(struct inode *inode, struct file *file)
{
	struct pintest_file *pf = file->private_data;

	pintest_file_release(pf);
	kfree(pf);
	return 0;
}

static const struct file_operations pintest_fops = {
	.owner = THIS_MODULE,
	.open = pintest_open,
	.release = pintest_release,
	.unlocked_ioctl = pintest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static ssize_t pintest_counter_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct dev_ext_attribute *ea =
		container_of(attr, struct dev_ext_attribute, attr);

	return sysfs_emit(buf, "%lld\n", atomic64_read(ea->var));
}

static struct dev_ext_attribute pintest_counter_attrs[] = {
	{ __ATTR(live_pins, 0444, pintest_counter_show, NULL), &pintest_counters.live_pins },
	{ __ATTR(live_pages, 0444, pintest_counter_show, NULL), &pintest_counters.live_pages },
	{ __ATTR(total_pins, 0444, pintest_counter_show, NULL), &pintest_counters.total_pins },
	{ __ATTR(total_pages, 0444, pintest_counter_show, NULL), &pintest_counters.total_pages },
	{ __ATTR(total_unpins, 0444, pintest_counter_show, NULL), &pintest_counters.total_unpins },
	{ __ATTR(errors, 0444, pintest_counter_show, NULL), &pintest_counters.errors },
	{ __ATTR(dma_bytes, 0444, pintest_counter_show, NULL), &pintest_counters.dma_bytes },
	{ __ATTR(bookkeeping_bytes, 0444, pintest_counter_show, NULL),
	  &pintest_counters.bookkeeping_bytes },
};

static struct attribute *pintest_stats_attrs[] = {
	&pintest_counter_attrs[0].attr.attr,
	&pintest_counter_attrs[1].attr.attr,
	&pintest_counter_attrs[2].attr.attr,
	&pintest_counter_attrs[3].attr.attr,
	&pintest_counter_attrs[4].attr.attr,
	&pintest_counter_attrs[5].attr.attr,
	&pintest_counter_attrs[6].attr.attr,
	&pintest_counter_attrs[7].attr.attr,
	NULL,
};

static const struct attribute_group pintest_stats_group = {
	.name = "stats",
	.attrs = pintest_stats_attrs,
};

static const struct attribute_group *pintest_groups[] = {
	&pintest_stats_group,
	NULL,
};

static struct miscdevice pintest_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pintest",
	.fops = &pintest_fops,
	.groups = pintest_groups,
};

/* /sys/kernel/debug/pintest: the baselines, and gup_test beside the kernel's */
static struct dentry *pintest_debugfs;

static int __init pintest_init(void)
{
	int ret;

	ret = pintest_writer_wq_init();
	if (ret)
		return ret;
	/* no device is no error: everything but the DEVICE_* ioctls works */
	ret = pintest_edu_init();
	if (ret)
		goto err_wq;
	pintest_debugfs = debugfs_create_dir("pintest", NULL);
	pintest_bench_init(pintest_debugfs);
	ret = pintest_guptest_init(pintest_debugfs);
	if (ret)
		goto err_debugfs;
	/* a failure's errno is what the loader reports */
	ret = misc_register(&pintest_misc);
	if (ret)
		goto err_guptest;
	return 0;

err_guptest:
	pintest_guptest_exit();
err_debugfs:
	debugfs_remove_recursive(pintest_debugfs);
	pintest_edu_exit();
err_wq:
	pintest_writer_wq_exit();
	return ret;
}

static void __exit pintest_exit(void)
{
	misc_deregister(&pintest_misc);
	pintest_guptest_exit();
	debugfs_remove_recursive(pintest_debugfs);
	pintest_edu_exit();
	pintest_writer_wq_exit();
}

module_init(pintest_init);
module_exit(pintest_exit);

MODULE_DESCRIPTION("Pin, query, release and DMA into user memory for testing");
MODULE_AUTHOR("pintest developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(PINTEST_VERSION);
