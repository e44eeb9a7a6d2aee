// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline benchmarks compare the simulated device with: an in-kernel
 * memcpy() between two buffers of the same size.  Root writes a byte count
 * to /sys/kernel/debug/pintest/memcpy and reads back "BYTES NANOSECONDS"
 * of one warm copy.  debugfs, so not ABI.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "pintest.h"

static struct dentry *bench_dir;

static DEFINE_MUTEX(memcpy_lock);
/* the last measurement; under memcpy_lock */
static u64 memcpy_bytes, memcpy_ns;

static ssize_t memcpy_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	void *src = NULL, *dst = NULL;
	u64 bytes, t0, ns;
	ssize_t ret;

	ret = kstrtou64_from_user(ubuf, count, 0, &bytes);
	if (ret)
		return ret;
	if (!bytes || bytes > SZ_256M)
		return -EINVAL;
	src = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	dst = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out_free;
	}
	memset(src, 0x5a, bytes);
	memcpy(dst, src, bytes);	/* warm up both buffers */
	t0 = ktime_get_ns();
	memcpy(dst, src, bytes);
	ns = ktime_get_ns() - t0;

	mutex_lock(&memcpy_lock);
	memcpy_bytes = bytes;
	memcpy_ns = ns;
	mutex_unlock(&memcpy_lock);
	ret = count;
out_free:
	kvfree(dst);
	kvfree(src);
	return ret;
}

static ssize_t memcpy_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	char buf[48];
	int n;

	mutex_lock(&memcpy_lock);
	n = scnprintf(buf, sizeof(buf), "%llu %llu\n", memcpy_bytes, memcpy_ns);
	mutex_unlock(&memcpy_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations memcpy_fops = {
	.owner = THIS_MODULE,
	.read = memcpy_read,
	.write = memcpy_write,
	.llseek = default_llseek,
};

void pintest_bench_init(void)
{
	bench_dir = debugfs_create_dir("pintest", NULL);
	debugfs_create_file("memcpy", 0600, bench_dir, NULL, &memcpy_fops);
}

void pintest_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}
