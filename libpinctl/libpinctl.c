// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpinctl: thin wrappers over the /dev/pintest ioctls.  Each builds the
 * uapi struct on the stack with its size, issues the ioctl and returns 0
 * or the negative errno the kernel gave.
 */
#include <endian.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "libpinctl-private.h"
#include "pinctl.h"

/* The library's flags and page layout are the kernel's, by construction. */
_Static_assert(PINCTL_PIN_WRITE == PINTEST_PIN_WRITE, "flag");
_Static_assert(PINCTL_PIN_LONGTERM == PINTEST_PIN_LONGTERM, "flag");
_Static_assert(PINCTL_PIN_FAST == PINTEST_PIN_FAST, "flag");
_Static_assert(PINCTL_PIN_LOCKED == PINTEST_PIN_LOCKED, "flag");
_Static_assert(PINCTL_PIN_UNLOCKED == PINTEST_PIN_UNLOCKED, "flag");
_Static_assert(PINCTL_PIN_MEMFD == PINTEST_PIN_MEMFD, "flag");
_Static_assert(PINCTL_PIN_REMOTE == PINTEST_PIN_REMOTE, "flag");
_Static_assert(PINCTL_UNPIN_DIRTY == PINTEST_UNPIN_DIRTY, "flag");
_Static_assert(PINCTL_PAGE_PINCOUNT_EXACT == PINTEST_PAGE_PINCOUNT_EXACT, "flag");
_Static_assert(PINCTL_PAGE_CMA == PINTEST_PAGE_CMA, "flag");
_Static_assert(PINCTL_PAGE_LONGTERM_PINNABLE == PINTEST_PAGE_LONGTERM_PINNABLE, "flag");
_Static_assert(PINCTL_PAGE_CMA_UNKNOWN == PINTEST_PAGE_CMA_UNKNOWN, "flag");
_Static_assert(PINCTL_ZONE_MOVABLE == PINTEST_ZONE_MOVABLE, "zone");
_Static_assert(PINCTL_ZONE_OTHER == PINTEST_ZONE_OTHER, "zone");
_Static_assert(offsetof(struct pinctl_page, zone) == offsetof(struct pintest_page, zone), "page");
_Static_assert(sizeof(struct pinctl_page) == sizeof(struct pintest_page), "page");

struct pinctl {
	int fd;
};

static int pinctl_ioctl(struct pinctl *ctx, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(ctx->fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

PINCTL_EXPORT int pinctl_open(struct pinctl **ctx, const char *devpath)
{
	struct pinctl *c;

	if (!ctx)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = open(devpath ? devpath : "/dev/pintest", O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int err = -errno;

		free(c);
		return err;
	}
	*ctx = c;
	return 0;
}

PINCTL_EXPORT void pinctl_close(struct pinctl *ctx)
{
	if (!ctx)
		return;
	close(ctx->fd);
	free(ctx);
}

PINCTL_EXPORT int pinctl_fd(const struct pinctl *ctx)
{
	return ctx ? ctx->fd : -EINVAL;
}

/*
 * The structs of 1.1 begin with the caller's sizeof(); @first is the size
 * of their first version.  An answer is built whole in the library's own
 * struct and handed over as far as the caller's struct reaches; what the
 * caller knows and the library does not is zeroed.
 */
static int sz_valid(size_t sz, size_t first)
{
	return sz >= first ? 0 : -EINVAL;
}

static void hand_over(void *dst, const void *src, size_t own)
{
	size_t sz = *(const size_t *)dst, n = sz < own ? sz : own;

	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       n - sizeof(size_t));
	if (sz > own)
		memset((char *)dst + own, 0, sz - own);
}

#define FIRST_SIZE(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

PINCTL_EXPORT int pinctl_info2(struct pinctl *ctx, struct pinctl_info2 *info)
{
	struct pintest_info cmd = { .size = sizeof(cmd) };
	struct pinctl_info2 all;
	int ret;

	ret = sz_valid(info->sz, FIRST_SIZE(struct pinctl_info2, page_entry_size));
	if (ret)
		return ret;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_INFO, &cmd);
	if (ret)
		return ret;
	all = (struct pinctl_info2){
		.abi_version = cmd.out_abi_version,
		.page_size = cmd.out_page_size,
		.methods = cmd.out_methods,
		.max_pin_pages = cmd.out_max_pin_pages,
		.max_handles = cmd.out_max_handles,
		.kernel_version = cmd.out_kernel_version,
		.longterm_methods = cmd.out_longterm_methods,
		.page_entry_size = cmd.out_page_entry_size,
		.device_path = cmd.out_device_path,
		.device_dma_bits = cmd.out_device_dma_bits,
	};
	hand_over(info, &all, sizeof(all));
	return 0;
}

PINCTL_EXPORT int pinctl_info(struct pinctl *ctx, struct pinctl_info *info)
{
	struct pinctl_info2 i = { .sz = sizeof(i) };
	int ret = pinctl_info2(ctx, &i);

	if (ret)
		return ret;
	*info = (struct pinctl_info){
		.abi_version = i.abi_version,
		.page_size = i.page_size,
		.methods = i.methods,
		.max_pin_pages = i.max_pin_pages,
		.max_handles = i.max_handles,
		.kernel_version = i.kernel_version,
		.longterm_methods = i.longterm_methods,
	};
	return 0;
}

PINCTL_EXPORT int pinctl_stats2(struct pinctl *ctx,
				struct pinctl_stats2 *stats)
{
	struct pintest_stats cmd = { .size = sizeof(cmd) };
	struct pinctl_stats2 all;
	int ret;

	ret = sz_valid(stats->sz, FIRST_SIZE(struct pinctl_stats2, bookkeeping_bytes));
	if (ret)
		return ret;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_STATS, &cmd);
	if (ret)
		return ret;
	all = (struct pinctl_stats2){
		.live_pins = cmd.live_pins,
		.live_pages = cmd.live_pages,
		.total_pins = cmd.total_pins,
		.total_pages = cmd.total_pages,
		.total_unpins = cmd.total_unpins,
		.errors = cmd.errors,
		.dma_bytes = cmd.dma_bytes,
		.bookkeeping_bytes = cmd.bookkeeping_bytes,
	};
	hand_over(stats, &all, sizeof(all));
	return 0;
}

PINCTL_EXPORT int pinctl_stats(struct pinctl *ctx, struct pinctl_stats *stats)
{
	struct pinctl_stats2 s = { .sz = sizeof(s) };
	int ret = pinctl_stats2(ctx, &s);

	if (ret)
		return ret;
	*stats = (struct pinctl_stats){
		.live_pins = s.live_pins,
		.live_pages = s.live_pages,
		.total_pins = s.total_pins,
		.total_pages = s.total_pages,
		.total_unpins = s.total_unpins,
		.errors = s.errors,
		.dma_bytes = s.dma_bytes,
	};
	return 0;
}

/* Since 1.3, the input pidfd of @res; 0 where its size does not reach it. */
static int pin_pidfd(const struct pinctl_pin_result *res)
{
	return res->sz < FIRST_SIZE(struct pinctl_pin_result, pidfd) ? 0 :
	       res->pidfd;
}

/*
 * What a PIN or PIN_MEMFD answered, handed over at @res's size; its
 * input, pidfd, stays as it was.
 */
static void pin_result(struct pinctl_pin_result *res, uint32_t handle,
		       uint64_t npages, uint64_t pin_ns, uint64_t nfolios)
{
	struct pinctl_pin_result all = {
		.handle = handle,
		.npages = npages,
		.pin_ns = pin_ns,
		.nfolios = nfolios,
		.pidfd = pin_pidfd(res),
	};

	hand_over(res, &all, sizeof(all));
}

PINCTL_EXPORT int pinctl_pin2(struct pinctl *ctx, const void *addr,
			      size_t len, unsigned int flags,
			      struct pinctl_pin_result *res)
{
	struct pintest_pin cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.addr = (uintptr_t)addr,
		.length = len,
	};
	int ret;

	ret = sz_valid(res->sz, FIRST_SIZE(struct pinctl_pin_result, pin_ns));
	if (ret)
		return ret;
	/* REMOTE needs the pidfd: a struct too short to hold one is refused */
	if (flags & PINCTL_PIN_REMOTE) {
		ret = sz_valid(res->sz, FIRST_SIZE(struct pinctl_pin_result, pidfd));
		if (ret)
			return ret;
		cmd.pidfd = res->pidfd;
	}
	ret = pinctl_ioctl(ctx, PINTEST_IOC_PIN, &cmd);
	if (ret)
		return ret;
	pin_result(res, cmd.out_handle, cmd.out_npages, cmd.out_pin_ns, 0);
	return 0;
}

/* Since 1.2: pins a memfd's pages by offset (memfd_pin_folios()). */
PINCTL_EXPORT int pinctl_pin_memfd(struct pinctl *ctx, int memfd,
				   uint64_t offset, size_t len,
				   unsigned int flags,
				   struct pinctl_pin_result *res)
{
	struct pintest_pin_memfd cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.fd = memfd,
		.offset = offset,
		.length = len,
	};
	int ret;

	ret = sz_valid(res->sz, FIRST_SIZE(struct pinctl_pin_result, pin_ns));
	if (ret)
		return ret;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_PIN_MEMFD, &cmd);
	if (ret)
		return ret;
	pin_result(res, cmd.out_handle, cmd.out_npages, cmd.out_pin_ns,
		   cmd.out_nfolios);
	return 0;
}

PINCTL_EXPORT int pinctl_pin(struct pinctl *ctx, const void *addr, size_t len,
			     unsigned int flags, uint64_t *handle)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	int ret = pinctl_pin2(ctx, addr, len, flags, &res);

	if (ret)
		return ret;
	*handle = res.handle;
	return 0;
}

/* Kernel handles are 32-bit: a wider one names no pin. */
#define CHECK_HANDLE(h) do { if ((h) > UINT32_MAX) return -ENOENT; } while (0)

/* @res may be NULL. */
PINCTL_EXPORT int pinctl_unpin2(struct pinctl *ctx, uint64_t handle,
				unsigned int flags,
				struct pinctl_unpin_result *res)
{
	struct pintest_unpin cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = (uint32_t)handle,
	};
	struct pinctl_unpin_result all;
	int ret;

	CHECK_HANDLE(handle);
	ret = res ? sz_valid(res->sz, FIRST_SIZE(struct pinctl_unpin_result, unpin_ns)) : 0;
	if (ret)
		return ret;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_UNPIN, &cmd);
	if (ret || !res)
		return ret;
	all = (struct pinctl_unpin_result){ .unpin_ns = cmd.out_unpin_ns };
	hand_over(res, &all, sizeof(all));
	return 0;
}

PINCTL_EXPORT int pinctl_unpin(struct pinctl *ctx, uint64_t handle,
			       unsigned int flags)
{
	return pinctl_unpin2(ctx, handle, flags, NULL);
}

PINCTL_EXPORT int pinctl_query(struct pinctl *ctx, uint64_t handle,
			       uint64_t first, uint64_t count,
			       struct pinctl_page *out)
{
	struct pintest_query cmd = {
		.size = sizeof(cmd),
		.handle = (uint32_t)handle,
		.entry_size = sizeof(*out),
		.first = first,
		.count = count,
		.pages = (uintptr_t)out,
	};

	CHECK_HANDLE(handle);
	return pinctl_ioctl(ctx, PINTEST_IOC_QUERY, &cmd);
}

PINCTL_EXPORT int pinctl_probe(struct pinctl *ctx, const void *addr,
			       size_t len, struct pinctl_page *out)
{
	struct pintest_probe cmd = {
		.size = sizeof(cmd),
		.entry_size = sizeof(*out),
		.addr = (uintptr_t)addr,
		.length = len,
		.pages = (uintptr_t)out,
	};

	return pinctl_ioctl(ctx, PINTEST_IOC_PROBE, &cmd);
}

static int pinctl_dma(struct pinctl *ctx, struct pintest_dma *cmd,
		      uint64_t handle)
{
	cmd->size = sizeof(*cmd);
	cmd->handle = (uint32_t)handle;
	CHECK_HANDLE(handle);
	return pinctl_ioctl(ctx, PINTEST_IOC_DMA, cmd);
}

PINCTL_EXPORT int pinctl_dma_write(struct pinctl *ctx, uint64_t handle,
				   uint64_t offset, const void *buf, size_t len)
{
	struct pintest_dma cmd = {
		.op = PINTEST_DMA_WRITE,
		.offset = offset,
		.length = len,
		.buf = (uintptr_t)buf,
	};

	return pinctl_dma(ctx, &cmd, handle);
}

PINCTL_EXPORT int pinctl_dma_read(struct pinctl *ctx, uint64_t handle,
				  uint64_t offset, void *buf, size_t len)
{
	struct pintest_dma cmd = {
		.op = PINTEST_DMA_READ,
		.offset = offset,
		.length = len,
		.buf = (uintptr_t)buf,
	};

	return pinctl_dma(ctx, &cmd, handle);
}

PINCTL_EXPORT int pinctl_dma_fill(struct pinctl *ctx, uint64_t handle,
				  uint64_t offset, size_t len, uint64_t seed)
{
	struct pintest_dma cmd = {
		.op = PINTEST_DMA_FILL,
		.offset = offset,
		.length = len,
		.seed = seed,
	};

	return pinctl_dma(ctx, &cmd, handle);
}

PINCTL_EXPORT int pinctl_dma_compare(struct pinctl *ctx, uint64_t handle,
				     uint64_t offset, size_t len,
				     uint64_t seed, uint64_t *mismatches,
				     uint64_t *first_mismatch)
{
	struct pintest_dma cmd = {
		.op = PINTEST_DMA_VERIFY,
		.offset = offset,
		.length = len,
		.seed = seed,
	};
	int ret = pinctl_dma(ctx, &cmd, handle);

	if (ret)
		return ret;
	if (mismatches)
		*mismatches = cmd.out_mismatches;
	if (first_mismatch)
		*first_mismatch = cmd.out_first_mismatch;
	return 0;
}

PINCTL_EXPORT int pinctl_dma_verify(struct pinctl *ctx, uint64_t handle,
				    uint64_t offset, size_t len, uint64_t seed)
{
	uint64_t mismatches;
	int ret = pinctl_dma_compare(ctx, handle, offset, len, seed,
				     &mismatches, NULL);

	if (ret)
		return ret;
	return mismatches ? -EBADMSG : 0;
}

/* Since 1.2: the real device. */
PINCTL_EXPORT int pinctl_device_map(struct pinctl *ctx, uint64_t handle,
				    unsigned int flags,
				    struct pinctl_device_map_result *res)
{
	struct pintest_device_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = (uint32_t)handle,
	};
	struct pinctl_device_map_result all;
	int ret;

	CHECK_HANDLE(handle);
	ret = sz_valid(res->sz, FIRST_SIZE(struct pinctl_device_map_result, segments));
	if (ret)
		return ret;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_DEVICE_MAP, &cmd);
	if (ret)
		return ret;
	all = (struct pinctl_device_map_result){
		.id = cmd.out_id,
		.segments = cmd.out_segments,
		.bus_addr = cmd.out_bus_addr,
	};
	hand_over(res, &all, sizeof(all));
	return 0;
}

PINCTL_EXPORT int pinctl_device_dma(struct pinctl *ctx, uint64_t id,
				    struct pinctl_device_transfer *t)
{
	struct pintest_device_dma cmd = { .size = sizeof(cmd) };
	int ret;

	ret = sz_valid(t->sz, FIRST_SIZE(struct pinctl_device_transfer, transfers));
	if (ret)
		return ret;
	if (id > UINT32_MAX)
		return -ENOENT;
	cmd.flags = t->flags;
	cmd.id = (uint32_t)id;
	cmd.op = t->op;
	cmd.offset = t->offset;
	cmd.length = t->len;
	cmd.buf = (uintptr_t)t->buf;
	cmd.seed = t->seed;
	ret = pinctl_ioctl(ctx, PINTEST_IOC_DEVICE_DMA, &cmd);
	if (ret)
		return ret;
	t->mismatches = cmd.out_mismatches;
	t->first_mismatch = cmd.out_first_mismatch;
	t->transfers = cmd.out_transfers;
	return 0;
}

PINCTL_EXPORT int pinctl_device_unmap(struct pinctl *ctx, uint64_t id)
{
	struct pintest_device_unmap cmd = { .size = sizeof(cmd), .id = (uint32_t)id };

	if (id > UINT32_MAX)
		return -ENOENT;
	return pinctl_ioctl(ctx, PINTEST_IOC_DEVICE_UNMAP, &cmd);
}

static int writer_start(struct pinctl *ctx, uint32_t flags, uint64_t handle,
			uint64_t offset, size_t len, uint64_t seed,
			uint64_t count, uint32_t duration_ms)
{
	struct pintest_dma_start cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = (uint32_t)handle,
		.duration_ms = duration_ms,
		.offset = offset,
		.length = len,
		.seed = seed,
		.count = count,
	};

	CHECK_HANDLE(handle);
	return pinctl_ioctl(ctx, PINTEST_IOC_DMA_START, &cmd);
}

PINCTL_EXPORT int pinctl_dma_start(struct pinctl *ctx, uint64_t handle,
				   uint64_t offset, size_t len, uint64_t seed,
				   uint64_t count, uint32_t duration_ms)
{
	return writer_start(ctx, 0, handle, offset, len, seed, count,
			    duration_ms);
}

PINCTL_EXPORT int pinctl_device_start(struct pinctl *ctx, uint64_t handle,
				      uint64_t offset, size_t len,
				      uint64_t seed, uint64_t count,
				      uint32_t duration_ms)
{
	return writer_start(ctx, PINTEST_DMA_START_DEVICE, handle, offset, len,
			    seed, count, duration_ms);
}

PINCTL_EXPORT int pinctl_dma_stop(struct pinctl *ctx, uint64_t handle,
				  uint64_t *passes, uint64_t *bytes)
{
	struct pintest_dma_stop cmd = {
		.size = sizeof(cmd),
		.handle = (uint32_t)handle,
	};
	int ret;

	CHECK_HANDLE(handle);
	ret = pinctl_ioctl(ctx, PINTEST_IOC_DMA_STOP, &cmd);
	if (ret)
		return ret;
	if (passes)
		*passes = cmd.out_passes;
	if (bytes)
		*bytes = cmd.out_bytes;
	return 0;
}

/*
 * The pattern is made a word at a time, one pintest_pattern() per 8
 * bytes: hashing each byte's word again made checking a 2 MiB huge page
 * cost more than the DMA it checks.
 */
static uint64_t pattern_le(uint64_t seed, uint64_t pos)
{
	return htole64(pintest_pattern(seed, pos / 8));
}

PINCTL_EXPORT void pinctl_pattern_fill(void *buf, uint64_t offset, size_t len,
				       uint64_t seed)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t word = pattern_le(seed, offset);
		size_t in = offset % 8, n = 8 - in < len ? 8 - in : len;

		if (n == 8)	/* a constant size: one store */
			memcpy(p, &word, 8);
		else
			memcpy(p, (uint8_t *)&word + in, n);
		p += n, offset += n, len -= n;
	}
}

PINCTL_EXPORT uint64_t pinctl_pattern_check(const void *buf, uint64_t offset,
					    size_t len, uint64_t seed,
					    uint64_t *first_mismatch)
{
	const uint8_t *p = buf;
	uint64_t bad = 0;

	if (first_mismatch)
		*first_mismatch = UINT64_MAX;
	while (len) {
		uint64_t word = pattern_le(seed, offset);
		size_t in = offset % 8, n = 8 - in < len ? 8 - in : len;
		const uint8_t *want = (uint8_t *)&word + in;
		uint64_t got;

		/* a whole word that matches is the common case */
		if (n < 8 || (memcpy(&got, p, 8), got != word)) {
			for (size_t i = 0; i < n; i++) {
				if (p[i] != want[i] && !bad++ && first_mismatch)
					*first_mismatch = offset + i;
			}
		}
		p += n, offset += n, len -= n;
	}
	return bad;
}

/* Since 1.4: the methods' names, which pinctl, bench and the tests print. */
static const struct {
	unsigned int flag;
	const char *name;
} method_names[] = {
	{ PINCTL_PIN_FAST, "fast" },
	{ PINCTL_PIN_LOCKED, "locked" },
	{ PINCTL_PIN_UNLOCKED, "unlocked" },
	{ PINCTL_PIN_MEMFD, "memfd" },
	{ PINCTL_PIN_REMOTE, "remote" },
};
#define NMETHOD_NAMES (sizeof(method_names) / sizeof(method_names[0]))

PINCTL_EXPORT const char *pinctl_method_name(unsigned int flags)
{
	unsigned int method = flags & ~(PINCTL_PIN_WRITE | PINCTL_PIN_LONGTERM);

	if (!method)
		method = PINCTL_PIN_FAST;
	for (size_t i = 0; i < NMETHOD_NAMES; i++) {
		if (method == method_names[i].flag)
			return method_names[i].name;
	}
	return NULL;	/* two methods, or a bit that names none */
}

PINCTL_EXPORT int pinctl_method_flag(const char *name, unsigned int *flag)
{
	for (size_t i = 0; i < NMETHOD_NAMES; i++) {
		if (!strcmp(name, method_names[i].name)) {
			*flag = method_names[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}
