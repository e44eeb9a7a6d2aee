// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl: command-line front end of libpinctl (public API only).
 *
 *   pinctl info | stats | load [KO] | unload | demo
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pinctl.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "pinctl: %s: %s\n", what, strerror(-err));
	if (err == -ENOENT && !strcmp(what, "/dev/pintest"))
		fprintf(stderr, "pinctl: is the module loaded? try: pinctl load\n");
	return 1;
}

static int open_dev(struct pinctl **ctx)
{
	int ret = pinctl_open(ctx, getenv("PINTEST_DEVICE"));

	return ret ? fail("/dev/pintest", ret) : 0;
}

static int cmd_info(void)
{
	struct pinctl_info info;
	struct pinctl *ctx;
	int ret;

	if (open_dev(&ctx))
		return 1;
	ret = pinctl_info(ctx, &info);
	pinctl_close(ctx);
	if (ret)
		return fail("info", ret);
	printf("abi_version     %u\n", info.abi_version);
	printf("kernel          %u.%u.%u\n", info.kernel_version >> 16,
	       (info.kernel_version >> 8) & 0xff, info.kernel_version & 0xff);
	printf("page_size       %u\n", info.page_size);
	printf("methods        %s%s%s\n",
	       info.methods & PINCTL_PIN_FAST ? " fast" : "",
	       info.methods & PINCTL_PIN_LOCKED ? " locked" : "",
	       info.methods & PINCTL_PIN_UNLOCKED ? " unlocked" : "");
	printf("max_pin_pages   %u\n", info.max_pin_pages);
	printf("max_handles     %u\n", info.max_handles);
	return 0;
}

static void print_stats(const struct pinctl_stats *s)
{
	printf("live_pins       %llu\n", (unsigned long long)s->live_pins);
	printf("live_pages      %llu\n", (unsigned long long)s->live_pages);
	printf("total_pins      %llu\n", (unsigned long long)s->total_pins);
	printf("total_pages     %llu\n", (unsigned long long)s->total_pages);
	printf("total_unpins    %llu\n", (unsigned long long)s->total_unpins);
	printf("errors          %llu\n", (unsigned long long)s->errors);
	printf("dma_bytes       %llu\n", (unsigned long long)s->dma_bytes);
}

static int cmd_stats(void)
{
	struct pinctl_stats s;
	struct pinctl *ctx;
	int ret;

	if (open_dev(&ctx))
		return 1;
	ret = pinctl_stats(ctx, &s);
	pinctl_close(ctx);
	if (ret)
		return fail("stats", ret);
	print_stats(&s);
	return 0;
}

static void print_page(const char *when, const struct pinctl_page *p)
{
	printf("  %-22s refcount %-6u pincount %-3u mapcount %-2d order %u%s%s%s%s\n",
	       when, p->refcount, p->pincount, p->mapcount, p->order,
	       p->flags & PINCTL_PAGE_MAYBE_DMA_PINNED ? " pinned" : "",
	       p->flags & PINCTL_PAGE_ANON ? " anon" : "",
	       p->flags & PINCTL_PAGE_DIRTY ? " dirty" : "",
	       p->flags & PINCTL_PAGE_PRESENT ? "" : " not-present");
}

/* Pin four anonymous pages, look at them, DMA into them, release them. */
static int cmd_demo(void)
{
	const size_t len = 4 * 4096;
	struct pinctl_page page;
	struct pinctl_stats s;
	struct pinctl *ctx;
	uint64_t handle, bad, first;
	char *buf;
	int ret;

	if (open_dev(&ctx))
		return 1;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		pinctl_close(ctx);
		return fail("mmap", -errno);
	}
	printf("demo: 4 anonymous pages at %p\n", (void *)buf);
	ret = pinctl_probe(ctx, buf, 4096, &page);
	if (!ret)
		print_page("before pin:", &page);
	ret = ret ?: pinctl_pin(ctx, buf, len, PINCTL_PIN_WRITE, &handle);
	if (ret)
		goto out;
	ret = pinctl_query(ctx, handle, 0, 1, &page);
	if (!ret)
		print_page("pinned (QUERY):", &page);
	ret = ret ?: pinctl_dma_fill(ctx, handle, 0, len, 42);
	if (ret)
		goto out;
	bad = pinctl_pattern_check(buf, 0, len, 42, &first);
	printf("  device filled %zu bytes; the process sees %llu wrong bytes\n",
	       len, (unsigned long long)bad);
	ret = pinctl_unpin(ctx, handle, PINCTL_UNPIN_DIRTY);
	ret = ret ?: pinctl_probe(ctx, buf, 4096, &page);
	if (!ret)
		print_page("after unpin (PROBE):", &page);
	ret = ret ?: pinctl_stats(ctx, &s);
	if (!ret)
		print_stats(&s);
	if (!ret && bad)
		ret = -EIO;
out:
	munmap(buf, len);
	pinctl_close(ctx);
	return ret ? fail("demo", ret) : 0;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: pinctl info | stats | load [KO] | unload | demo\n");
	return status;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2)
		return usage(2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(0);
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "stats"))
		return cmd_stats();
	if (!strcmp(argv[1], "demo"))
		return cmd_demo();
	if (!strcmp(argv[1], "load")) {
		ret = pinctl_module_load(argc > 2 ? argv[2] : NULL);
		if (ret == -EEXIST)
			return 0;
		return ret ? fail("load", ret) : 0;
	}
	if (!strcmp(argv[1], "unload")) {
		ret = pinctl_module_unload();
		if (ret == -EAGAIN)
			fprintf(stderr, "pinctl: /dev/pintest is still open\n");
		return ret ? fail("unload", ret) : 0;
	}
	return usage(2);
}
