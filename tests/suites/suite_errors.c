// SPDX-License-Identifier: GPL-2.0
/*
 * The bad-input table: every row is one malformed request and the exact
 * errno it must get.  After each row nothing may stay pinned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "procfs.h"
#include "pt.h"

/* A 4-page anonymous buffer with a writable and a read-only pin of it. */
struct fix {
	struct pinctl *ctx;
	int fd;
	char *buf;
	uint64_t rw, ro;
};

#define LEN (4 * PAGE)
#define KERNEL_ADDR ((void *)0xffff888000000000UL)

static char *map(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static int pin(struct fix *f, const void *addr, size_t len, unsigned int flags)
{
	uint64_t h;

	return pinctl_pin(f->ctx, addr, len, flags, &h);
}

static int raw(struct fix *f, unsigned long req, void *arg)
{
	return ioctl(f->fd, req, arg) ? -errno : 0;
}

/* The vDSO's data pages: VM_IO | VM_PFNMAP up to 6.12, pages by 7.3. */
static void *vvar(void)
{
	char line[256];
	void *addr = NULL;
	FILE *maps = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(maps);
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "[vvar]"))
			sscanf(line, "%p", &addr);
	fclose(maps);
	ck_assert_msg(addr, "no [vvar] mapping");
	return addr;
}

static int pin_zero_len(struct fix *f) { return pin(f, f->buf, 0, 0); }
static int pin_unaligned_addr(struct fix *f) { return pin(f, f->buf + 1, PAGE, 0); }
static int pin_unaligned_len(struct fix *f) { return pin(f, f->buf, PAGE + 1, 0); }
static int pin_wrapping(struct fix *f) { return pin(f, (void *)-PAGE, 2 * PAGE, 0); }
static int pin_kernel_addr(struct fix *f) { return pin(f, KERNEL_ADDR, PAGE, 0); }
static int pin_null(struct fix *f) { return pin(f, NULL, PAGE, 0); }
/*
 * A VM_IO | VM_PFNMAP mapping on every kernel: /dev/mem (root) at the
 * BIOS area below 1 MiB, which is not RAM, so STRICT_DEVMEM allows it.
 */
static int pin_pfnmap(struct fix *f)
{
	int fd = open("/dev/mem", O_RDONLY);
	void *p;

	ck_assert_msg(fd >= 0, "/dev/mem: %s", strerror(errno));
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0xf0000);
	close(fd);
	ck_assert_msg(p != MAP_FAILED, "mmap /dev/mem at 0xf0000: %s", strerror(errno));
	ck_assert_int_eq(procfs_vma_flag(p, "pf"), 1);
	ck_assert_int_eq(procfs_vma_flag(p, "io"), 1);
	return pin(f, p, PAGE, 0);
}
static int pin_unknown_flag(struct fix *f) { return pin(f, f->buf, PAGE, 1U << 20); }

static int pin_two_methods(struct fix *f)
{
	return pin(f, f->buf, PAGE, PINCTL_PIN_FAST | PINCTL_PIN_LOCKED);
}

static int pin_over_max_pages(struct fix *f)
{
	struct pinctl_info info;

	ck_assert_int_eq(pinctl_info(f->ctx, &info), 0);
	return pin(f, f->buf, (info.max_pin_pages + 1UL) * PAGE, 0);
}

static int pin_unmapped(struct fix *f)
{
	char *p = map(PAGE, PROT_READ);

	munmap(p, PAGE);
	return pin(f, p, PAGE, 0);
}

/* All or nothing: the first three pages pin, the fourth is a hole. */
static int pin_partly_unmapped(struct fix *f)
{
	char *p = map(LEN, PROT_READ | PROT_WRITE);
	int ret;

	munmap(p + 3 * PAGE, PAGE);
	ret = pin(f, p, LEN, PINCTL_PIN_WRITE);
	munmap(p, 3 * PAGE);
	return ret;
}

static int pin_prot_none(struct fix *f)
{
	return pin(f, map(PAGE, PROT_NONE), PAGE, 0);
}

static int pin_write_readonly(struct fix *f)
{
	return pin(f, map(PAGE, PROT_READ), PAGE, PINCTL_PIN_WRITE);
}

/* pidfd is the reserved word of every method but REMOTE */
static int pin_pidfd_without_remote(struct fix *f)
{
	struct pintest_pin cmd = { .size = sizeof(cmd), .addr = (uintptr_t)f->buf,
				   .length = PAGE, .pidfd = 1 };

	return raw(f, PINTEST_IOC_PIN, &cmd);
}

/* A REMOTE pin of f->buf in the process @pidfd names (ours, unless not). */
static int pin_remote(struct fix *f, int pidfd, unsigned int flags)
{
	struct pinctl_pin_result res = { .sz = sizeof(res), .pidfd = pidfd };

	return pinctl_pin2(f->ctx, f->buf, PAGE, PINCTL_PIN_REMOTE | flags, &res);
}

static int remote_not_a_descriptor(struct fix *f) { return pin_remote(f, 1000000, 0); }
static int remote_negative_pidfd(struct fix *f) { return pin_remote(f, -1, 0); }
static int remote_pidfd_zero(struct fix *f)
{
	int null = open("/dev/null", O_RDONLY), keep = dup(0), ret;

	/* fd 0 is whatever the runner gave; here it is /dev/null, no pidfd */
	ck_assert_int_ge(null, 0);
	ck_assert_int_eq(dup2(null, 0), 0);
	ret = pin_remote(f, 0, 0);
	if (keep >= 0) {
		dup2(keep, 0);
		close(keep);
	} else {
		close(0);
	}
	close(null);
	return ret;
}
static int remote_of_a_memfd(struct fix *f)
{
	int fd = memfd_create("not-a-pidfd", MFD_CLOEXEC), ret;

	ck_assert_int_ge(fd, 0);
	ret = pin_remote(f, fd, 0);
	close(fd);
	return ret;
}
/* an anonymous inode as a pidfd is before pidfs, of another name */
static int remote_of_an_eventfd(struct fix *f)
{
	int fd = eventfd(0, EFD_CLOEXEC), ret;

	ck_assert_int_ge(fd, 0);
	ret = pin_remote(f, fd, 0);
	close(fd);
	return ret;
}
static int remote_of_the_device(struct fix *f) { return pin_remote(f, f->fd, 0); }
static int remote_exited(struct fix *f)
{
	int pidfd = util_pidfd_of_reaped_child(), ret;

	ck_assert_int_ge(pidfd, 0);
	ret = pin_remote(f, pidfd, 0);
	close(pidfd);
	return ret;
}
static int remote_with_locked(struct fix *f)
{
	int pidfd = util_pidfd_open(getpid()), ret;

	ck_assert_int_ge(pidfd, 0);
	ret = pin_remote(f, pidfd, PINCTL_PIN_LOCKED);
	close(pidfd);
	return ret;
}
static int remote_unmapped(struct fix *f)
{
	char *p = map(PAGE, PROT_READ);
	struct pinctl_pin_result res = { .sz = sizeof(res),
					 .pidfd = util_pidfd_open(getpid()) };
	int ret;

	ck_assert_int_ge(res.pidfd, 0);
	munmap(p, PAGE);
	ret = pinctl_pin2(f->ctx, p, PAGE, PINCTL_PIN_REMOTE, &res);
	close(res.pidfd);
	return ret;
}
/* the library refuses REMOTE through a struct that has no pidfd yet */
static int remote_short_result(struct fix *f)
{
	struct pinctl_pin_result res = {
		.sz = offsetof(struct pinctl_pin_result, pidfd),
	};

	return pinctl_pin2(f->ctx, f->buf, PAGE, PINCTL_PIN_REMOTE, &res);
}

static int pin_size_short(struct fix *f)
{
	struct pintest_pin cmd = { .size = 8, .addr = (uintptr_t)f->buf,
				   .length = PAGE };

	return raw(f, PINTEST_IOC_PIN, &cmd);
}

/* A newer caller's struct with a field this kernel does not know. */
static int pin_size_long_nonzero_tail(struct fix *f)
{
	struct { struct pintest_pin cmd; uint64_t future; } big = {
		.cmd = { .size = sizeof(big), .addr = (uintptr_t)f->buf,
			 .length = PAGE },
		.future = 1,
	};

	return raw(f, PINTEST_IOC_PIN, &big);
}

static int info_flags(struct fix *f)
{
	struct pintest_info cmd = { .size = sizeof(cmd), .flags = 1 };

	return raw(f, PINTEST_IOC_INFO, &cmd);
}

static int unknown_ioctl(struct fix *f)
{
	struct pintest_info cmd = { .size = sizeof(cmd) };

	/* numbers grow upwards from PINTEST_CMD_INFO: below it stays free */
	return raw(f, _IO(PINTEST_TYPE, PINTEST_CMD_INFO - 1), &cmd);
}

static int ioctl_with_size_in_number(struct fix *f)
{
	struct pintest_info cmd = { .size = sizeof(cmd) };

	return raw(f, _IOWR(PINTEST_TYPE, PINTEST_CMD_INFO, struct pintest_info),
		   &cmd);
}

static int ioctl_null_arg(struct fix *f) { return raw(f, PINTEST_IOC_INFO, NULL); }
static int unpin_bad_handle(struct fix *f) { return pinctl_unpin(f->ctx, 12345, 0); }
static int unpin_wide_handle(struct fix *f) { return pinctl_unpin(f->ctx, 1ULL << 32, 0); }
static int unpin_unknown_flag(struct fix *f) { return pinctl_unpin(f->ctx, f->rw, 2); }

static int unpin_twice(struct fix *f)
{
	ck_assert_int_eq(pinctl_unpin(f->ctx, f->rw, 0), 0);
	return pinctl_unpin(f->ctx, f->rw, 0);
}

static int unpin_reserved(struct fix *f)
{
	struct pintest_unpin cmd = { .size = sizeof(cmd), .handle = f->rw,
				     .__reserved = 1 };

	return raw(f, PINTEST_IOC_UNPIN, &cmd);
}

static int query_past_end(struct fix *f)
{
	struct pinctl_page p[2];

	return pinctl_query(f->ctx, f->rw, 3, 2, p);
}

static int query_zero_count(struct fix *f)
{
	struct pinctl_page p;

	return pinctl_query(f->ctx, f->rw, 0, 0, &p);
}

static int query_bad_buffer(struct fix *f)
{
	return pinctl_query(f->ctx, f->rw, 0, 1, (void *)KERNEL_ADDR);
}

static int query_bad_handle(struct fix *f)
{
	struct pinctl_page p;

	return pinctl_query(f->ctx, 999, 0, 1, &p);
}

static int query_small_entry(struct fix *f)
{
	struct pinctl_page p;
	struct pintest_query cmd = { .size = sizeof(cmd), .handle = f->rw,
				     .entry_size = 16, .count = 1,
				     .pages = (uintptr_t)&p };

	return raw(f, PINTEST_IOC_QUERY, &cmd);
}

static int query_huge_entry(struct fix *f)
{
	struct pinctl_page p[2];
	struct pintest_query cmd = { .size = sizeof(cmd), .handle = f->rw,
				     .entry_size = 257, .count = 1,
				     .pages = (uintptr_t)p };

	return raw(f, PINTEST_IOC_QUERY, &cmd);
}

static int probe_huge_entry(struct fix *f)
{
	struct pinctl_page p[2];
	struct pintest_probe cmd = { .size = sizeof(cmd), .entry_size = 257,
				     .addr = (uintptr_t)f->buf, .length = PAGE,
				     .pages = (uintptr_t)p };

	return raw(f, PINTEST_IOC_PROBE, &cmd);
}

static int probe_unaligned(struct fix *f)
{
	struct pinctl_page p;

	return pinctl_probe(f->ctx, f->buf + 8, PAGE, &p);
}

static int probe_zero_len(struct fix *f)
{
	struct pinctl_page p;

	return pinctl_probe(f->ctx, f->buf, 0, &p);
}

static int dma_past_end(struct fix *f)
{
	return pinctl_dma_fill(f->ctx, f->rw, LEN - 8, 9, 1);
}

static int dma_offset_wraps(struct fix *f)
{
	return pinctl_dma_fill(f->ctx, f->rw, -8ULL, 16, 1);
}

static int dma_zero_len(struct fix *f) { return pinctl_dma_fill(f->ctx, f->rw, 0, 0, 1); }
static int dma_fill_readonly(struct fix *f) { return pinctl_dma_fill(f->ctx, f->ro, 0, PAGE, 1); }
static int dma_write_readonly(struct fix *f) { return pinctl_dma_write(f->ctx, f->ro, 0, "x", 1); }
static int dma_write_bad_buffer(struct fix *f) { return pinctl_dma_write(f->ctx, f->rw, 0, NULL, 8); }
static int dma_read_bad_buffer(struct fix *f) { return pinctl_dma_read(f->ctx, f->rw, 0, KERNEL_ADDR, 8); }
static int dma_bad_handle(struct fix *f) { return pinctl_dma_verify(f->ctx, 77, 0, 8, 1); }

static int dma_after_unpin(struct fix *f)
{
	ck_assert_int_eq(pinctl_unpin(f->ctx, f->rw, 0), 0);
	return pinctl_dma_fill(f->ctx, f->rw, 0, 8, 1);
}

static int dma_raw(struct fix *f, uint32_t op, uint64_t buf, uint64_t seed)
{
	struct pintest_dma cmd = { .size = sizeof(cmd), .handle = f->rw,
				   .op = op, .length = 8, .buf = buf,
				   .seed = seed };

	return raw(f, PINTEST_IOC_DMA, &cmd);
}

static int dma_unknown_op(struct fix *f) { return dma_raw(f, 99, 0, 0); }
static int dma_write_with_seed(struct fix *f) { return dma_raw(f, PINTEST_DMA_WRITE, (uintptr_t)f->buf, 5); }
static int dma_fill_with_buf(struct fix *f) { return dma_raw(f, PINTEST_DMA_FILL, (uintptr_t)f->buf, 5); }

static int start_readonly(struct fix *f) { return pinctl_dma_start(f->ctx, f->ro, 0, PAGE, 1, 1, 0); }
static int start_zero_len(struct fix *f) { return pinctl_dma_start(f->ctx, f->rw, 0, 0, 1, 1, 0); }
static int start_past_end(struct fix *f) { return pinctl_dma_start(f->ctx, f->rw, PAGE, LEN, 1, 1, 0); }
static int start_bad_handle(struct fix *f) { return pinctl_dma_start(f->ctx, 31337, 0, PAGE, 1, 1, 0); }
static int stop_bad_handle(struct fix *f) { return pinctl_dma_stop(f->ctx, 31337, NULL, NULL); }

static int start_twice(struct fix *f)
{
	int ret;

	ck_assert_int_eq(pinctl_dma_start(f->ctx, f->rw, 0, LEN, 1, 0, 0), 0);
	ret = pinctl_dma_start(f->ctx, f->rw, 0, LEN, 2, 0, 0);
	ck_assert_int_eq(pinctl_dma_stop(f->ctx, f->rw, NULL, NULL), 0);
	return ret;
}

static int start_flags(struct fix *f)
{
	struct pintest_dma_start cmd = { .size = sizeof(cmd), .flags = 1U << 7,
					 .handle = f->rw, .length = PAGE };

	return raw(f, PINTEST_IOC_DMA_START, &cmd);
}

static int stop_reserved(struct fix *f)
{
	struct pintest_dma_stop cmd = { .size = sizeof(cmd), .handle = f->rw,
					.__reserved = 1 };

	return raw(f, PINTEST_IOC_DMA_STOP, &cmd);
}

static int verify_mismatch(struct fix *f)
{
	return pinctl_dma_verify(f->ctx, f->rw, 0, LEN, 12345);
}

/* PIN_MEMFD of @fd (-1: a new memfd of LEN). */
static int pin_memfd(struct fix *f, int fd, uint64_t off, uint64_t len,
		     unsigned int flags)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	int own = fd < 0, ret;

	if (own) {
		fd = memfd_create("pintest-errors", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, LEN), 0);
	}
	ret = pinctl_pin_memfd(f->ctx, fd, off, len, flags, &res);
	if (own)
		close(fd);
	return ret;
}
static int memfd_bad_fd(struct fix *f) { return pin_memfd(f, 9999, 0, PAGE, 0); }
static int memfd_not_shmem(struct fix *f)
{
	int p[2], ret;

	ck_assert_int_eq(pipe(p), 0);
	ret = pin_memfd(f, p[0], 0, PAGE, 0);
	close(p[0]);
	close(p[1]);
	return ret;
}
/* the device itself is a file, but no memfd */
static int memfd_of_the_device(struct fix *f) { return pin_memfd(f, f->fd, 0, PAGE, 0); }
static int memfd_past_eof(struct fix *f) { return pin_memfd(f, -1, LEN, PAGE, 0); }
static int memfd_across_eof(struct fix *f) { return pin_memfd(f, -1, PAGE, LEN, 0); }
static int memfd_unaligned_offset(struct fix *f) { return pin_memfd(f, -1, 8, PAGE, 0); }
static int memfd_unaligned_len(struct fix *f) { return pin_memfd(f, -1, 0, PAGE + 8, 0); }
static int memfd_zero_len(struct fix *f) { return pin_memfd(f, -1, 0, 0, 0); }
static int memfd_wraps(struct fix *f) { return pin_memfd(f, -1, -PAGE, 2 * PAGE, 0); }
static int memfd_method_flag(struct fix *f) { return pin_memfd(f, -1, 0, PAGE, PINCTL_PIN_FAST); }
static int memfd_unknown_flag(struct fix *f) { return pin_memfd(f, -1, 0, PAGE, 1U << 20); }
static int memfd_over_max_pages(struct fix *f)
{
	struct pinctl_info info;

	ck_assert_int_eq(pinctl_info(f->ctx, &info), 0);
	return pin_memfd(f, -1, 0, (info.max_pin_pages + 1UL) * PAGE, 0);
}
static int memfd_reserved(struct fix *f)
{
	struct pintest_pin_memfd cmd = { .size = sizeof(cmd), .fd = 0,
					 .length = PAGE, .__reserved2 = 1 };
	return raw(f, PINTEST_IOC_PIN_MEMFD, &cmd);
}
static int memfd_write_sealed(struct fix *f)
{
	int fd = memfd_create("pintest-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING), ret;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	ret = pin_memfd(f, fd, 0, PAGE, PINCTL_PIN_WRITE);
	close(fd);
	return ret;
}
static int memfd_write_through_rdonly(struct fix *f)
{
	int fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0600), ro, ret;
	char path[64];

	ck_assert_msg(fd >= 0, "O_TMPFILE in /dev/shm: %s", strerror(errno));
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ret = pin_memfd(f, ro, 0, PAGE, PINCTL_PIN_WRITE);
	close(ro);
	close(fd);
	return ret;
}

/* DEVICE_MAP of pin @h for @flags: 0 or a negative errno; *@id the map. */
static int dev_map(struct fix *f, uint64_t h, unsigned int flags, uint64_t *id)
{
	struct pinctl_device_map_result res = { .sz = sizeof(res) };
	int ret = pinctl_device_map(f->ctx, h, flags, &res);

	*id = res.id;
	return ret;
}
static int dev_dma(struct fix *f, uint64_t id, unsigned int op, unsigned int flags,
		   uint64_t offset, size_t len)
{
	struct pinctl_device_transfer t = { .sz = sizeof(t), .op = op, .flags = flags,
					    .offset = offset, .len = len, .seed = 1 };
	return pinctl_device_dma(f->ctx, id, &t);
}
/* A mapping of the writable pin, for device writes and reads. */
static uint64_t dev_both(struct fix *f)
{
	uint64_t id;

	ck_assert_int_eq(dev_map(f, f->rw, PINCTL_MAP_DEVICE_WRITES | PINCTL_MAP_DEVICE_READS, &id), 0);
	return id;
}
static int devmap_readonly_for_writes(struct fix *f)
{
	uint64_t id;
	return dev_map(f, f->ro, PINCTL_MAP_DEVICE_WRITES, &id);
}
static int devmap_no_direction(struct fix *f) { uint64_t id; return dev_map(f, f->rw, 0, &id); }
static int devmap_unknown_flag(struct fix *f) { uint64_t id; return dev_map(f, f->rw, 1U << 5, &id); }
static int devmap_bad_handle(struct fix *f) { uint64_t id; return dev_map(f, 4242, PINCTL_MAP_DEVICE_READS, &id); }
static int devmap_twice(struct fix *f)
{
	uint64_t id;

	ck_assert_int_eq(dev_map(f, f->rw, PINCTL_MAP_DEVICE_WRITES, &id), 0);
	return dev_map(f, f->rw, PINCTL_MAP_DEVICE_WRITES | PINCTL_MAP_DEVICE_READS, &id);
}
static int devdma_unknown_id(struct fix *f) { return dev_dma(f, 777, PINCTL_DEVICE_FILL, 0, 0, 8); }
static int devdma_past_end(struct fix *f) { return dev_dma(f, dev_both(f), PINCTL_DEVICE_FILL, 0, LEN - 8, 9); }
static int devdma_zero_len(struct fix *f) { return dev_dma(f, dev_both(f), PINCTL_DEVICE_FILL, 0, 0, 0); }
static int devdma_unknown_op(struct fix *f) { return dev_dma(f, dev_both(f), 9, 0, 0, 8); }
static int devdma_unknown_flag(struct fix *f) { return dev_dma(f, dev_both(f), PINCTL_DEVICE_FILL, 2, 0, 8); }
static int devdma_write_through_reads(struct fix *f)
{
	uint64_t id;

	ck_assert_int_eq(dev_map(f, f->rw, PINCTL_MAP_DEVICE_READS, &id), 0);
	return dev_dma(f, id, PINCTL_DEVICE_FILL, 0, 0, 8);
}
static int devdma_read_through_writes(struct fix *f)
{
	uint64_t id;

	ck_assert_int_eq(dev_map(f, f->rw, PINCTL_MAP_DEVICE_WRITES, &id), 0);
	return dev_dma(f, id, PINCTL_DEVICE_VERIFY, 0, 0, 8);
}
static int devunmap_unknown_id(struct fix *f) { return pinctl_device_unmap(f->ctx, 777); }
static int devunmap_reserved(struct fix *f)
{
	struct pintest_device_unmap cmd = { .size = sizeof(cmd), .id = (uint32_t)dev_both(f),
					    .__reserved = 1 };
	return raw(f, PINTEST_IOC_DEVICE_UNMAP, &cmd);
}
static int devstart(struct fix *f) { return pinctl_device_start(f->ctx, f->rw, 0, PAGE, 1, 1, 0); }
static int devstart_reads_only(struct fix *f)
{
	uint64_t id;

	ck_assert_int_eq(dev_map(f, f->rw, PINCTL_MAP_DEVICE_READS, &id), 0);
	return devstart(f);
}
static int devstart_past_end(struct fix *f)
{
	dev_both(f);
	return pinctl_device_start(f->ctx, f->rw, PAGE, LEN, 1, 1, 0);
}
static int devmap_no_device(struct fix *f) { uint64_t id; return dev_map(f, f->rw, PINCTL_MAP_DEVICE_READS, &id); }
static int devdma_no_device(struct fix *f) { return dev_dma(f, 1, PINCTL_DEVICE_FILL, 0, 0, 8); }
static int devunmap_no_device(struct fix *f) { return pinctl_device_unmap(f->ctx, 1); }

static const struct row {
	const char *name;
	int (*run)(struct fix *f);
	int expect;
} rows[] = {
	{ "pin: zero length", pin_zero_len, -EINVAL },
	{ "pin: unaligned address", pin_unaligned_addr, -EINVAL },
	{ "pin: unaligned length", pin_unaligned_len, -EINVAL },
	{ "pin: address + length wraps", pin_wrapping, -EOVERFLOW },
	{ "pin: pidfd set without REMOTE", pin_pidfd_without_remote, -EINVAL },
	{ "pin: remote, not a descriptor", remote_not_a_descriptor, -EBADF },
	{ "pin: remote, negative pidfd", remote_negative_pidfd, -EBADF },
	{ "pin: remote, pidfd 0 (not a pidfd)", remote_pidfd_zero, -EBADF },
	{ "pin: remote, a memfd", remote_of_a_memfd, -EBADF },
	{ "pin: remote, an eventfd (anonymous inode)", remote_of_an_eventfd, -EBADF },
	{ "pin: remote, /dev/pintest itself", remote_of_the_device, -EBADF },
	{ "pin: remote, a process that exited", remote_exited, -ESRCH },
	{ "pin: remote with LOCKED (two methods)", remote_with_locked, -EINVAL },
	{ "pin: remote, unmapped in the process", remote_unmapped, -EFAULT },
	{ "pin: remote through a result without pidfd", remote_short_result, -EINVAL },
	{ "pin: kernel address", pin_kernel_addr, -EFAULT },
	{ "pin: NULL", pin_null, -EFAULT },
	{ "pin: unmapped range", pin_unmapped, -EFAULT },
	{ "pin: last page unmapped", pin_partly_unmapped, -EFAULT },
	{ "pin: PROT_NONE", pin_prot_none, -EFAULT },
	{ "pin: write pin of a read-only mapping", pin_write_readonly, -EFAULT },
	{ "pin: VM_IO|VM_PFNMAP (/dev/mem)", pin_pfnmap, -EFAULT },
	{ "pin: unknown flag", pin_unknown_flag, -EINVAL },
	{ "pin: two methods", pin_two_methods, -EINVAL },
	{ "pin: more than max_pin_pages", pin_over_max_pages, -E2BIG },
	{ "pin: size below version 1", pin_size_short, -EINVAL },
	{ "pin: unknown trailing field set", pin_size_long_nonzero_tail, -E2BIG },
	{ "info: flags set", info_flags, -EINVAL },
	{ "unknown ioctl number", unknown_ioctl, -ENOTTY },
	{ "ioctl number with a size", ioctl_with_size_in_number, -ENOTTY },
	{ "ioctl on a NULL struct", ioctl_null_arg, -EFAULT },
	{ "unpin: bad handle", unpin_bad_handle, -ENOENT },
	{ "unpin: handle wider than 32 bits", unpin_wide_handle, -ENOENT },
	{ "unpin: unknown flag", unpin_unknown_flag, -EINVAL },
	{ "unpin: twice", unpin_twice, -ENOENT },
	{ "unpin: reserved word set", unpin_reserved, -EINVAL },
	{ "query: past the end", query_past_end, -ERANGE },
	{ "query: zero count", query_zero_count, -EINVAL },
	{ "query: unwritable buffer", query_bad_buffer, -EFAULT },
	{ "query: bad handle", query_bad_handle, -ENOENT },
	{ "query: entry smaller than version 1", query_small_entry, -EINVAL },
	{ "query: entry larger than 256 bytes", query_huge_entry, -EINVAL },
	{ "probe: entry larger than 256 bytes", probe_huge_entry, -EINVAL },
	{ "probe: unaligned", probe_unaligned, -EINVAL },
	{ "probe: zero length", probe_zero_len, -EINVAL },
	{ "dma: past the end", dma_past_end, -ERANGE },
	{ "dma: offset + length wraps", dma_offset_wraps, -ERANGE },
	{ "dma: zero length", dma_zero_len, -EINVAL },
	{ "dma: fill into a read-only pin", dma_fill_readonly, -EPERM },
	{ "dma: write into a read-only pin", dma_write_readonly, -EPERM },
	{ "dma: write from an unreadable buffer", dma_write_bad_buffer, -EFAULT },
	{ "dma: read into an unwritable buffer", dma_read_bad_buffer, -EFAULT },
	{ "dma: bad handle", dma_bad_handle, -ENOENT },
	{ "dma: after unpin", dma_after_unpin, -ENOENT },
	{ "dma: unknown op", dma_unknown_op, -EINVAL },
	{ "dma: write with a seed", dma_write_with_seed, -EINVAL },
	{ "dma: fill with a buffer", dma_fill_with_buf, -EINVAL },
	{ "dma: verify finds a wrong pattern", verify_mismatch, -EBADMSG },
	{ "dma_start: read-only pin", start_readonly, -EPERM },
	{ "dma_start: zero length", start_zero_len, -EINVAL },
	{ "dma_start: past the end", start_past_end, -ERANGE },
	{ "dma_start: bad handle", start_bad_handle, -ENOENT },
	{ "dma_start: a writer is running", start_twice, -EBUSY },
	{ "dma_start: flags set", start_flags, -EINVAL },
	{ "dma_stop: bad handle", stop_bad_handle, -ENOENT },
	{ "dma_stop: reserved word set", stop_reserved, -EINVAL },
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

/* PIN_MEMFD's rows, on kernels that have memfd_pin_folios() */
static const struct row memfd_rows[] = {
	{ "pin_memfd: not a file descriptor", memfd_bad_fd, -EBADF },
	{ "pin_memfd: a pipe", memfd_not_shmem, -EINVAL },
	{ "pin_memfd: /dev/pintest itself", memfd_of_the_device, -EINVAL },
	{ "pin_memfd: offset at the end of the file", memfd_past_eof, -EINVAL },
	{ "pin_memfd: range across the end of the file", memfd_across_eof, -EINVAL },
	{ "pin_memfd: unaligned offset", memfd_unaligned_offset, -EINVAL },
	{ "pin_memfd: unaligned length", memfd_unaligned_len, -EINVAL },
	{ "pin_memfd: zero length", memfd_zero_len, -EINVAL },
	{ "pin_memfd: offset + length wraps", memfd_wraps, -EOVERFLOW },
	{ "pin_memfd: a method flag", memfd_method_flag, -EINVAL },
	{ "pin_memfd: unknown flag", memfd_unknown_flag, -EINVAL },
	{ "pin_memfd: more than max_pin_pages", memfd_over_max_pages, -E2BIG },
	{ "pin_memfd: reserved word set", memfd_reserved, -EINVAL },
	{ "pin_memfd: write pin of a write-sealed memfd", memfd_write_sealed, -EPERM },
	{ "pin_memfd: write pin through a read-only descriptor", memfd_write_through_rdonly, -EBADF },
};

#define NMEMFD_ROWS ((int)(sizeof(memfd_rows) / sizeof(memfd_rows[0])))

/* DEVICE_*'s rows where the edu device is bound (make check-device) */
static const struct row device_rows[] = {
	{ "device_map: read-only pin for device writes", devmap_readonly_for_writes, -EPERM },
	{ "device_map: no direction", devmap_no_direction, -EINVAL },
	{ "device_map: unknown flag", devmap_unknown_flag, -EINVAL },
	{ "device_map: bad handle", devmap_bad_handle, -ENOENT },
	{ "device_map: a direction mapped already", devmap_twice, -EBUSY },
	{ "device_dma: unknown mapping", devdma_unknown_id, -ENOENT },
	{ "device_dma: past the end", devdma_past_end, -ERANGE },
	{ "device_dma: zero length", devdma_zero_len, -EINVAL },
	{ "device_dma: unknown op", devdma_unknown_op, -EINVAL },
	{ "device_dma: unknown flag", devdma_unknown_flag, -EINVAL },
	{ "device_dma: device write through a reads mapping", devdma_write_through_reads, -EPERM },
	{ "device_dma: device read through a writes mapping", devdma_read_through_writes, -EPERM },
	{ "device_unmap: unknown mapping", devunmap_unknown_id, -ENOENT },
	{ "device_unmap: reserved word set", devunmap_reserved, -EINVAL },
	{ "device_start: pin not mapped", devstart, -EPERM },
	{ "device_start: mapped for device reads only", devstart_reads_only, -EPERM },
	{ "device_start: past the end", devstart_past_end, -ERANGE },
};

/* ... and where it is not */
static const struct row no_device_rows[] = {
	{ "device_map: no device", devmap_no_device, -ENODEV },
	{ "device_dma: no device", devdma_no_device, -ENODEV },
	{ "device_unmap: no device", devunmap_no_device, -ENODEV },
	{ "device_start: no device", devstart, -ENODEV },
};

#define NDEVICE_ROWS ((int)(sizeof(device_rows) / sizeof(device_rows[0])))
#define NNO_DEVICE_ROWS ((int)(sizeof(no_device_rows) / sizeof(no_device_rows[0])))

/* Runs @r on a fresh fixture: its exact errno, and nothing left pinned. */
static void check_row(const struct row *r)
{
	struct pinctl_stats before, after;
	struct fix f;
	int ret;

	f.ctx = pt_open();
	f.fd = pinctl_fd(f.ctx);
	f.buf = map(LEN, PROT_READ | PROT_WRITE);
	ck_assert_int_eq(pinctl_pin(f.ctx, f.buf, LEN, PINCTL_PIN_WRITE, &f.rw), 0);
	ck_assert_int_eq(pinctl_pin(f.ctx, f.buf, LEN, 0, &f.ro), 0);
	pt_stats(f.ctx, &before);

	ret = r->run(&f);
	ck_assert_msg(ret == r->expect, "%s: got %d (%s), want %d (%s)", r->name,
		      ret, strerror(-ret), r->expect, strerror(-r->expect));

	/* a refused request leaves nothing pinned behind */
	pt_stats(f.ctx, &after);
	ck_assert_msg(after.live_pins <= before.live_pins,
		      "%s: live pins %llu -> %llu", r->name,
		      (unsigned long long)before.live_pins,
		      (unsigned long long)after.live_pins);
	ck_assert_uint_eq(after.total_pins, before.total_pins);
	pinctl_close(f.ctx);
}

START_TEST(bad_input)
{
	check_row(&rows[_i]);
}
END_TEST

START_TEST(bad_memfd_input)
{
	check_row(&memfd_rows[_i]);
}
END_TEST

START_TEST(bad_device_input)
{
	check_row(&device_rows[_i]);
}
END_TEST

START_TEST(device_input_without_a_device)
{
	check_row(&no_device_rows[_i]);
}
END_TEST

/* The other side of the size rule: a longer struct with a zero tail works. */
START_TEST(longer_struct_with_zero_tail)
{
	struct pinctl *ctx = pt_open();
	struct { struct pintest_info cmd; uint64_t future[2]; } big = {
		.cmd = { .size = sizeof(big) },
	};

	ck_assert_int_eq(ioctl(pinctl_fd(ctx), PINTEST_IOC_INFO, &big), 0);
	ck_assert_uint_eq(big.cmd.out_abi_version, PINTEST_ABI_VERSION);
	ck_assert_uint_eq(big.future[0] | big.future[1], 0);
	pinctl_close(ctx);
}
END_TEST

/*
 * A caller built against ABI version 1 passes the shorter struct: it still
 * works, and the kernel writes nothing past the size the caller gave.
 */
START_TEST(version_1_struct_is_not_written_past)
{
	struct pinctl *ctx = pt_open();
	char *buf = pt_anon(PAGE);
	struct { struct pintest_pin cmd; } v1 = {
		.cmd = { .size = offsetof(struct pintest_pin, out_pin_ns),
			 .addr = (uintptr_t)buf, .length = PAGE },
	};
	struct pintest_unpin unpin = { .size = offsetof(struct pintest_unpin, out_unpin_ns) };

	v1.cmd.out_pin_ns = 0x1111;
	ck_assert_int_eq(ioctl(pinctl_fd(ctx), PINTEST_IOC_PIN, &v1.cmd), 0);
	ck_assert_uint_eq(v1.cmd.out_npages, 1);
	ck_assert_uint_eq(v1.cmd.out_pin_ns, 0x1111);
	unpin.handle = v1.cmd.out_handle;
	unpin.out_unpin_ns = 0x2222;
	ck_assert_int_eq(ioctl(pinctl_fd(ctx), PINTEST_IOC_UNPIN, &unpin), 0);
	ck_assert_uint_eq(unpin.out_unpin_ns, 0x2222);
	pinctl_close(ctx);
}
END_TEST

/*
 * UNPIN releases the pin before it copies its reply out: a struct in a
 * read-only page (readable, so the request is taken in) gets EFAULT with
 * the pin already gone, and the retry ENOENT.  Nothing stays pinned.
 */
START_TEST(unpin_unwritable_reply_releases_the_pin)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, pinned, s;
	struct pintest_unpin *cmd, retry;
	struct pinctl_page page;
	char *buf = pt_anon(PAGE);
	long vm0 = pt_vmpin_kb();
	uint64_t h;
	int ret;

	pt_stats(ctx, &s0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, PAGE, PINCTL_PIN_WRITE, &h), 0);
	pt_stats(ctx, &pinned);
	ck_assert_uint_eq(pinned.live_pins, s0.live_pins + 1);
	ck_assert_int_gt(pt_vmpin_kb(), vm0);

	cmd = (struct pintest_unpin *)map(PAGE, PROT_READ | PROT_WRITE);
	*cmd = (struct pintest_unpin){ .size = sizeof(*cmd), .handle = h,
				       .out_unpin_ns = 0x3333 };
	ck_assert_int_eq(mprotect(cmd, PAGE, PROT_READ), 0);
	ret = ioctl(pinctl_fd(ctx), PINTEST_IOC_UNPIN, cmd) ? -errno : 0;
	ck_assert_int_eq(ret, -EFAULT);
	ck_assert_uint_eq(cmd->out_unpin_ns, 0x3333);	/* no reply came */

	/* released all the same: counted as an unpin, the page unpinned */
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.live_pages, s0.live_pages);
	ck_assert_uint_eq(s.total_unpins, pinned.total_unpins + 1);
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	ck_assert_int_eq(pinctl_query(ctx, h, 0, 1, &page), -ENOENT);
	ck_assert_int_eq(pinctl_probe(ctx, buf, PAGE, &page), 0);
	ck_assert_uint_eq(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED, 0);

	/* the retry, from a struct the reply can reach, finds no such pin */
	retry = *cmd;
	ret = ioctl(pinctl_fd(ctx), PINTEST_IOC_UNPIN, &retry) ? -errno : 0;
	ck_assert_int_eq(ret, -ENOENT);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.total_unpins, pinned.total_unpins + 1);
	pt_nothing_left(ctx, &s0, vm0);

	munmap(cmd, PAGE);
	munmap(buf, PAGE);
	pinctl_close(ctx);
}
END_TEST

START_TEST(errors_are_counted)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_stats before, after;

	pt_stats(ctx, &before);
	ck_assert_int_eq(pinctl_unpin(ctx, 4242, 0), -ENOENT);
	pt_stats(ctx, &after);
	ck_assert_uint_eq(after.errors, before.errors + 1);
	pinctl_close(ctx);
}
END_TEST

/*
 * [vvar] pins exactly when its VMA is not VM_PFNMAP: up to 6.12 it is
 * (EFAULT); 7.3 backs the vDSO data with pages, and they pin.
 */
START_TEST(vvar_pins_as_its_vma_says)
{
	struct pinctl *ctx = pt_open();
	struct pinctl_info info;
	void *v = vvar();
	int pfnmap = procfs_vma_flag(v, "pf");
	uint64_t h;
	int ret;

	ck_assert_int_ge(pfnmap, 0);
	ck_assert_int_eq(pinctl_info(ctx, &info), 0);
	if (info.kernel_version < KV(6, 13))
		ck_assert_msg(pfnmap, "[vvar] is no VM_PFNMAP on a kernel before 6.13");
	if (info.kernel_version >= KV(7, 3))
		ck_assert_msg(!pfnmap, "[vvar] is VM_PFNMAP on 7.3 or later");
	ret = pinctl_pin(ctx, v, PAGE, 0, &h);
	if (pfnmap) {
		ck_assert_int_eq(ret, -EFAULT);
	} else {
		ck_assert_int_eq(ret, 0);
		ck_assert_int_eq(pinctl_unpin(ctx, h, 0), 0);
	}
	pinctl_close(ctx);
}
END_TEST

Suite *suite_errors(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	TCase *tc;
	Suite *s = pt_suite(run, "errors", 60, &tc);
	const char *only = getenv("PINTEST_ERROR_ROWS");

	/* make check-device asks for the device's rows alone: "device" */
	if (only && !strcmp(only, "device")) {
		pt_add(run, tc, bad_device_input, 0, NDEVICE_ROWS, NULL,
		       nodev ?: pt_edu_missing());
		return s;
	}
	pt_add(run, tc, bad_input, 0, NROWS, NULL, nodev);
	pt_add(run, tc, bad_memfd_input, 0, NMEMFD_ROWS, NULL,
	       nodev ?: pt_memfd_pin_missing());
	/* one table or the other, as the machine has the device or not */
	if (!nodev && !pt_edu_missing())
		pt_add(run, tc, bad_device_input, 0, NDEVICE_ROWS, NULL, NULL);
	else
		pt_add(run, tc, device_input_without_a_device, 0, NNO_DEVICE_ROWS, NULL, nodev);
	PT_ADD(run, tc, longer_struct_with_zero_tail, nodev);
	PT_ADD(run, tc, version_1_struct_is_not_written_past, nodev);
	PT_ADD(run, tc, unpin_unwritable_reply_releases_the_pin, nodev);
	PT_ADD(run, tc, errors_are_counted, nodev);
	PT_ADD(run, tc, vvar_pins_as_its_vma_says, nodev);
	return s;
}
