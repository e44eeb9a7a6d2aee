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

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pintest.h"

#define PINTEST_VERSION "0.2.0"

unsigned int pintest_max_pin_pages = 1U << 20;
module_param_named(max_pin_pages, pintest_max_pin_pages, uint, 0644);
MODULE_PARM_DESC(max_pin_pages, "most pages one pin may hold (default 1048576)");

unsigned int pintest_max_handles = 65536;
module_param_named(max_handles, pintest_max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles, "most pins one open file may hold (default 65536)");

struct pintest_counters pintest_counters;

/* An ioctl in flight: the kernel's copy of the struct and where it came from. */
struct pintest_ucmd {
	struct pintest_file *pf;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

static int ucmd_respond(struct pintest_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, size, ucmd->user_size)))
		return -EFAULT;
	return 0;
}

static int ioctl_info(struct pintest_ucmd *ucmd)
{
	struct pintest_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	cmd->out_abi_version = PINTEST_ABI_VERSION;
	cmd->out_page_size = PAGE_SIZE;
	cmd->out_methods = PINTEST_PIN_METHODS;
	cmd->out_max_pin_pages = READ_ONCE(pintest_max_pin_pages);
	cmd->out_max_handles = READ_ONCE(pintest_max_handles);
	cmd->out_kernel_version = PINTEST_BUILT_FOR;
	cmd->out_page_entry_size = sizeof(struct pintest_page);
	cmd->out_longterm_methods = PINTEST_LONGTERM_METHODS;
	return ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioctl_pin(struct pintest_ucmd *ucmd)
{
	struct pintest_pin *cmd = ucmd->cmd;
	int ret;

	ret = pintest_pin(ucmd->pf, cmd);
	if (ret)
		return ret;
	ret = ucmd_respond(ucmd, sizeof(*cmd));
	/* The caller cannot learn the handle: do not leave the pin behind. */
	if (ret)
		pintest_unpin(ucmd->pf, cmd->out_handle, false);
	return ret;
}

static int ioctl_query(struct pintest_ucmd *ucmd)
{
	return pintest_query(ucmd->pf, ucmd->cmd);
}

static int ioctl_probe(struct pintest_ucmd *ucmd)
{
	return pintest_probe(ucmd->cmd);
}

static int ioctl_unpin(struct pintest_ucmd *ucmd)
{
	struct pintest_unpin *cmd = ucmd->cmd;
	u64 t0 = ktime_get_ns();
	int ret;

	if (cmd->flags & ~PINTEST_UNPIN_DIRTY || cmd->__reserved)
		return -EINVAL;
	ret = pintest_unpin(ucmd->pf, cmd->handle,
			    cmd->flags & PINTEST_UNPIN_DIRTY);
	if (ret)
		return ret;
	cmd->out_unpin_ns = ktime_get_ns() - t0;
	return ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioctl_dma(struct pintest_ucmd *ucmd)
{
	struct pintest_dma *cmd = ucmd->cmd;
	int ret;

	ret = pintest_dma(ucmd->pf, cmd);
	if (ret)
		return ret;
	return ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioctl_stats(struct pintest_ucmd *ucmd)
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
	return ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioctl_dma_start(struct pintest_ucmd *ucmd)
{
	return pintest_writer_start(ucmd->pf, ucmd->cmd);
}

static int ioctl_dma_stop(struct pintest_ucmd *ucmd)
{
	struct pintest_dma_stop *cmd = ucmd->cmd;
	int ret;

	ret = pintest_writer_stop(ucmd->pf, cmd);
	if (ret)
		return ret;
	return ucmd_respond(ucmd, sizeof(*cmd));
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
};

struct pintest_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct pintest_ucmd *ucmd);
};

/* @_last is the last field of the struct's first version. */
#define IOCTL_OP(_cmd, _fn, _struct, _last)				\
	[(_cmd) - PINTEST_CMD_INFO] = {					\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
		.execute = _fn,						\
	}

static const struct pintest_ioctl_op pintest_ops[] = {
	IOCTL_OP(PINTEST_CMD_INFO, ioctl_info, struct pintest_info, __reserved),
	IOCTL_OP(PINTEST_CMD_PIN, ioctl_pin, struct pintest_pin, out_npages),
	IOCTL_OP(PINTEST_CMD_QUERY, ioctl_query, struct pintest_query, pages),
	IOCTL_OP(PINTEST_CMD_PROBE, ioctl_probe, struct pintest_probe, pages),
	IOCTL_OP(PINTEST_CMD_UNPIN, ioctl_unpin, struct pintest_unpin, __reserved),
	IOCTL_OP(PINTEST_CMD_DMA, ioctl_dma, struct pintest_dma, out_first_mismatch),
	IOCTL_OP(PINTEST_CMD_STATS, ioctl_stats, struct pintest_stats, dma_bytes),
	IOCTL_OP(PINTEST_CMD_DMA_START, ioctl_dma_start, struct pintest_dma_start, count),
	IOCTL_OP(PINTEST_CMD_DMA_STOP, ioctl_dma_stop, struct pintest_dma_stop, out_bytes),
};

static long dispatch(struct pintest_file *pf, unsigned int cmd,
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
	long ret = dispatch(file->private_data, cmd, arg);

	/* User mistakes are counted, and logged at debug level only. */
	if (ret) {
		atomic64_inc(&pintest_counters.errors);
		pr_debug("ioctl %#x failed: %ld\n", cmd, ret);
	}
	return ret;
}

static int pintest_open(struct inode *inode, struct file *file)
{
	struct pintest_file *pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);

	if (!pf)
		return -ENOMEM;
	xa_init_flags(&pf->pins, XA_FLAGS_ALLOC1);
	file->private_data = pf;
	return 0;
}

static int pintest_release(struct inode *inode, struct file *file)
{
	struct pintest_file *pf = file->private_data;

	pintest_release_all(pf);
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

static ssize_t counter_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	struct dev_ext_attribute *ea =
		container_of(attr, struct dev_ext_attribute, attr);

	return sysfs_emit(buf, "%lld\n", atomic64_read(ea->var));
}

static struct dev_ext_attribute pintest_counter_attrs[] = {
	{ __ATTR(live_pins, 0444, counter_show, NULL), &pintest_counters.live_pins },
	{ __ATTR(live_pages, 0444, counter_show, NULL), &pintest_counters.live_pages },
	{ __ATTR(total_pins, 0444, counter_show, NULL), &pintest_counters.total_pins },
	{ __ATTR(total_pages, 0444, counter_show, NULL), &pintest_counters.total_pages },
	{ __ATTR(total_unpins, 0444, counter_show, NULL), &pintest_counters.total_unpins },
	{ __ATTR(errors, 0444, counter_show, NULL), &pintest_counters.errors },
	{ __ATTR(dma_bytes, 0444, counter_show, NULL), &pintest_counters.dma_bytes },
	{ __ATTR(bookkeeping_bytes, 0444, counter_show, NULL),
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

static int __init pintest_init(void)
{
	int ret = misc_register(&pintest_misc);

	if (ret) {
		pr_err("cannot register /dev/pintest: %d\n", ret);
		return ret;
	}
	pintest_bench_init();
	return 0;
}

static void __exit pintest_exit(void)
{
	pintest_bench_exit();
	misc_deregister(&pintest_misc);
}

module_init(pintest_init);
module_exit(pintest_exit);

MODULE_DESCRIPTION("Pin, query, release and DMA into user memory for testing");
MODULE_AUTHOR("pintest developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(PINTEST_VERSION);
