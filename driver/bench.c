// SPDX-License-Identifier: GPL-2.0
/*
 * The baselines benchmarks compare the simulated device with, in debugfs
 * (root only, not ABI):
 *
 * memcpy: an in-kernel memcpy() between two buffers of the same size.
 *	Write a byte count, read back "BYTES NANOSECONDS" of one warm copy.
 * usercopy: the device's own work without the pin: read() copies a
 *	kernel buffer to the caller's buffer, write() the caller's buffer
 *	into one, a page at a time with copy_to_user()/copy_from_user() as
 *	DMA READ and WRITE do.  usercopy_ns then reads
 *	"READ_BYTES READ_NS WRITE_BYTES WRITE_NS" of the last of each.
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

static DEFINE_MUTEX(pintest_memcpy_lock);
/* the last measurement; under pintest_memcpy_lock */
static u64 pintest_memcpy_bytes, pintest_memcpy_ns;

static ssize_t pintest_memcpy_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
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

	mutex_lock(&pintest_memcpy_lock);
	pintest_memcpy_bytes = bytes;
	pintest_memcpy_ns = ns;
	mutex_unlock(&pintest_memcpy_lock);
	ret = count;
out_free:
	kvfree(dst);
	kvfree(src);
	return ret;
}

static ssize_t pintest_memcpy_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[48];
	int n;

	mutex_lock(&pintest_memcpy_lock);
	n = scnprintf(buf, sizeof(buf), "%llu %llu\n", pintest_memcpy_bytes,
		      pintest_memcpy_ns);
	mutex_unlock(&pintest_memcpy_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations pintest_memcpy_fops = {
	.owner = THIS_MODULE,
	.read = pintest_memcpy_read,
	.write = pintest_memcpy_write,
	.llseek = default_llseek,
};

/* the last usercopy read and write; under pintest_usercopy_lock */
static DEFINE_MUTEX(pintest_usercopy_lock);
static u64 pintest_usercopy_bytes[2], pintest_usercopy_ns[2];

/* Copies @count bytes between @ubuf and a kernel buffer, a page a time. */
static ssize_t pintest_usercopy(char __user *ubuf, size_t count, bool to_user)
{
	size_t done, n;
	u64 t0, ns;
	void *kbuf;
	int left = 0;

	if (!count || count > SZ_256M)
		return -EINVAL;
	kbuf = kvzalloc(count, GFP_KERNEL_ACCOUNT);
	if (!kbuf)
		return -ENOMEM;
	t0 = ktime_get_ns();
	for (done = 0; done < count && !left; done += n) {
		n = min_t(size_t, PAGE_SIZE, count - done);
		left = to_user ? copy_to_user(ubuf + done, kbuf + done, n) :
				 copy_from_user(kbuf + done, ubuf + done, n);
	}
	ns = ktime_get_ns() - t0;
	kvfree(kbuf);
	if (left)
		return -EFAULT;
	mutex_lock(&pintest_usercopy_lock);
	pintest_usercopy_bytes[to_user ? 0 : 1] = count;
	pintest_usercopy_ns[to_user ? 0 : 1] = ns;
	mutex_unlock(&pintest_usercopy_lock);
	return count;
}

static ssize_t pintest_usercopy_read(struct file *file, char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	return pintest_usercopy(ubuf, count, true);
}

static ssize_t pintest_usercopy_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	return pintest_usercopy((char __user *)ubuf, count, false);
}

static const struct file_operations pintest_usercopy_fops = {
	.owner = THIS_MODULE,
	.read = pintest_usercopy_read,
	.write = pintest_usercopy_write,
	.llseek = noop_llseek,
};

static ssize_t pintest_usercopy_ns_read(struct file *file,
					char __user *ubuf, size_t count,
					loff_t *ppos)
{
	char buf[96];
	int n;

	mutex_lock(&pintest_usercopy_lock);
	n = scnprintf(buf, sizeof(buf), "%llu %llu %llu %llu\n",
		      pintest_usercopy_bytes[0], pintest_usercopy_ns[0],
		      pintest_usercopy_bytes[1], pintest_usercopy_ns[1]);
	mutex_unlock(&pintest_usercopy_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations pintest_usercopy_ns_fops = {
	.owner = THIS_MODULE,
	.read = pintest_usercopy_ns_read,
	.llseek = default_llseek,
};

/* The baselines' files in pintest's debugfs directory @dir. */
void pintest_bench_init(struct dentry *dir)
{
	debugfs_create_file("memcpy", 0600, dir, NULL, &pintest_memcpy_fops);
	debugfs_create_file("usercopy", 0600, dir, NULL, &pintest_usercopy_fops);
	debugfs_create_file("usercopy_ns", 0400, dir, NULL,
			    &pintest_usercopy_ns_fops);
}
