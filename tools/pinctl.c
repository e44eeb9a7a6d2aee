// SPDX-License-Identifier: GPL-2.0
/*
 * pinctl: command-line front end of libpinctl (public API only).
 *
 *   pinctl info | stats | load [KO] | unload | demo
 *   pinctl pin  FILE|--anon SIZE [--offset N] [--len N] [--write]
 *               [--longterm] [--method fast|locked|unlocked|memfd] [--dirty]
 *               [--hold SECONDS]
 *   pinctl probe FILE|--anon SIZE [--offset N] [--len N]
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pinctl.h"

static const char usage_text[] =
	"usage: pinctl COMMAND [ARGS]\n"
	"\n"
	"  info                     what the loaded module offers\n"
	"  stats                    the module's counters\n"
	"  load [KO]                load pintest.ko (by name when no file is given)\n"
	"  unload                   unload the module\n"
	"  demo                     pin, query, DMA into and release 4 pages\n"
	"  pin FILE|--anon SIZE     pin a file's pages or anonymous memory\n"
	"      [--offset N] [--len N] [--write] [--longterm]\n"
	"      [--method fast|locked|unlocked|memfd] [--dirty] [--hold SECONDS]\n"
	"      (memfd: FILE, or a new memfd of SIZE, pinned by offset with\n"
	"      memfd_pin_folios(), not mapped)\n"
	"  probe FILE|--anon SIZE   show the state of the pages mapped there\n"
	"      [--offset N] [--len N]\n"
	"\n"
	"SIZE and N take K, M and G suffixes.  Exit status: 0 success,\n"
	"1 failure, 2 usage error.\n";

/* The running kernel's page size, read at run time: 4 KiB, 16 KiB, 64 KiB. */
static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static int usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	return status;
}

/* What a person can do about each error the device or library returns. */
static const char *hint(int err)
{
	switch (-err) {
	case ENOENT:
		return "is the module loaded? (pinctl load)";
	case EACCES:
		return "no permission: be root or a member of group pintest";
	case ENOMEM:
		return "over RLIMIT_MEMLOCK: raise it (ulimit -l) or run with CAP_IPC_LOCK";
	case EFAULT:
		return "the range is not pinnable memory (unmapped, PROT_NONE, VM_IO/PFNMAP, or read-only for --write)";
	case E2BIG:
		return "more pages than the module parameter max_pin_pages";
	case ENOSPC:
		return "this file descriptor holds max_handles pins already";
	case EAGAIN:
		return "/dev/pintest is still open somewhere";
	case EEXIST:
		return "the module is loaded already";
	case ENOEXEC:
		return "not a module for the running kernel";
	case ERANGE:
		return "--offset/--len lie outside the file or mapping";
	case EOPNOTSUPP:
		return "--method memfd needs memfd_pin_folios() (kernel 6.10 or later)";
	case EPERM:
		return "--write into memory the device may not write (read-only pin, or a write-sealed memfd)";
	default:
		return NULL;
	}
}

static int fail(const char *what, int err)
{
	const char *h = hint(err);

	fprintf(stderr, "pinctl: %s: %s\n", what, strerror(-err));
	if (h)
		fprintf(stderr, "pinctl: %s\n", h);
	return 1;
}

static int open_dev(struct pinctl **ctx)
{
	int ret = pinctl_open(ctx, getenv("PINTEST_DEVICE"));

	return ret ? fail("/dev/pintest", ret) : 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		/* fall through */
	case 'M': case 'm':
		v <<= 10;
		/* fall through */
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	}
	if (end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static const char *device_path_name(uint32_t path)
{
	static const char *const names[] = {
		[PINCTL_DEVICE_NONE] = "none (no edu device bound)",
		[PINCTL_DEVICE_DIRECT] = "edu, direct",
		[PINCTL_DEVICE_SWIOTLB] = "edu, swiotlb bounce",
		[PINCTL_DEVICE_IOMMU] = "edu, IOMMU translation",
	};

	return path < sizeof(names) / sizeof(names[0]) ? names[path] : "unknown";
}

static int cmd_info(void)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };
	struct pinctl *ctx;
	int ret;

	if (open_dev(&ctx))
		return 1;
	ret = pinctl_info2(ctx, &info);
	pinctl_close(ctx);
	if (ret)
		return fail("info", ret);
	printf("abi_version     %u\n", info.abi_version);
	printf("kernel          %u.%u.%u\n", info.kernel_version >> 16,
	       (info.kernel_version >> 8) & 0xff, info.kernel_version & 0xff);
	printf("page_size       %u\n", info.page_size);
	printf("methods        ");
	/* one name a bit of methods (which holds no WRITE or LONGTERM) */
	for (uint32_t bit = 1; bit; bit <<= 1) {
		const char *name = info.methods & bit ? pinctl_method_name(bit) : NULL;

		if (name)
			printf(" %s", name);
	}
	printf("\n");
	printf("max_pin_pages   %u\n", info.max_pin_pages);
	printf("max_handles     %u\n", info.max_handles);
	printf("device          %s", device_path_name(info.device_path));
	if (info.device_path != PINCTL_DEVICE_NONE)
		printf(" (%u-bit DMA)", info.device_dma_bits);
	printf("\n");
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

static const char *zone_name(uint32_t zone)
{
	static const char *const names[] = {
		[PINCTL_ZONE_NONE] = "-", [PINCTL_ZONE_DMA] = "dma",
		[PINCTL_ZONE_DMA32] = "dma32", [PINCTL_ZONE_NORMAL] = "normal",
		[PINCTL_ZONE_MOVABLE] = "movable", [PINCTL_ZONE_DEVICE] = "device",
		[PINCTL_ZONE_OTHER] = "other",
	};

	return zone < sizeof(names) / sizeof(names[0]) ? names[zone] : "unknown";
}

static void print_page(const char *label, const struct pinctl_page *p)
{
	static const char *const names[] = {
		"present", "pinned", "anon", "file", "shmem", "truncated",
		"large", "hugetlb", "dirty", "writeback", "lru", "private",
		"zero", "anon-exclusive", "pincount-exact", "cma",
		"longterm-pinnable", "cma-unknown",
	};

	printf("  %-22s refcount %-6u pincount %-4u mapcount %-2d order %u zone %-7s",
	       label, p->refcount, p->pincount, p->mapcount, p->order,
	       zone_name(p->zone));
	if (!(p->flags & PINCTL_PAGE_PRESENT))
		printf(" not-present");
	for (unsigned int i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (p->flags & (1U << i))
			printf(" %s", names[i]);
	putchar('\n');
}

/* The first page of the demo's pin written by the real device, if one is bound. */
static int demo_real_device(struct pinctl *ctx, uint64_t handle, char *buf,
			    uint64_t *bad)
{
	struct pinctl_info2 info = { .sz = sizeof(info) };
	struct pinctl_device_map_result map = { .sz = sizeof(map) };
	struct pinctl_device_transfer t = {
		.sz = sizeof(t), .op = PINCTL_DEVICE_FILL,
		.flags = PINCTL_DEVICE_DMA_SYNC, .len = page_size(), .seed = 43,
	};
	int ret = pinctl_info2(ctx, &info);

	if (ret)
		return ret;
	if (info.device_path == PINCTL_DEVICE_NONE) {
		printf("  no real device bound (vm/pintest-vm --device edu): skipped\n");
		return 0;
	}
	ret = pinctl_device_map(ctx, handle, PINCTL_MAP_DEVICE_WRITES, &map);
	ret = ret ?: pinctl_device_dma(ctx, map.id, &t);
	if (ret)
		return ret;
	*bad += pinctl_pattern_check(buf, 0, t.len, 43, NULL);
	printf("  the %s device wrote %zu bytes by bus address in %llu transfer(s); the process sees %llu wrong bytes\n",
	       device_path_name(info.device_path), t.len,
	       (unsigned long long)t.transfers, (unsigned long long)*bad);
	return pinctl_device_unmap(ctx, map.id);
}

/* Pin four anonymous pages, look at them, DMA into them, release them. */
static int cmd_demo(void)
{
	const size_t page = page_size(), len = 4 * page;
	struct pinctl_page state;
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
	ret = pinctl_probe(ctx, buf, page, &state);
	if (!ret)
		print_page("before pin:", &state);
	ret = ret ?: pinctl_pin(ctx, buf, len, PINCTL_PIN_WRITE, &handle);
	if (ret)
		goto out;
	ret = pinctl_query(ctx, handle, 0, 1, &state);
	if (!ret)
		print_page("pinned (QUERY):", &state);
	ret = ret ?: pinctl_dma_fill(ctx, handle, 0, len, 42);
	if (ret)
		goto out;
	bad = pinctl_pattern_check(buf, 0, len, 42, &first);
	printf("  device filled %zu bytes; the process sees %llu wrong bytes\n",
	       len, (unsigned long long)bad);
	ret = demo_real_device(ctx, handle, buf, &bad);
	ret = ret ?: pinctl_unpin(ctx, handle, PINCTL_UNPIN_DIRTY);
	ret = ret ?: pinctl_probe(ctx, buf, page, &state);
	if (!ret)
		print_page("after unpin (PROBE):", &state);
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

/* The memory a pin or probe command works on. */
struct target {
	const char *file;
	uint64_t anon_size, offset, len;
	unsigned int flags;
	int by_file;		/* --method memfd */
	int dirty;
	unsigned int hold;
	char *addr;
	size_t maplen;
};

static int map_target(struct target *t, int writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	struct stat st;
	int fd;

	if (!t->file) {
		t->maplen = t->anon_size;
		t->addr = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		return t->addr == MAP_FAILED ? -errno : 0;
	}
	fd = open(t->file, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	t->maplen = st.st_size;
	if (!t->maplen) {
		close(fd);
		return -EINVAL;
	}
	/* populated, so that the pages in the page cache are mapped */
	t->addr = mmap(NULL, t->maplen, prot, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	return t->addr == MAP_FAILED ? -errno : 0;
}

static int parse_target(int argc, char **argv, struct target *t)
{
	static const struct option opts[] = {
		{ "anon", required_argument, NULL, 'a' },
		{ "offset", required_argument, NULL, 'o' },
		{ "len", required_argument, NULL, 'l' },
		{ "write", no_argument, NULL, 'w' },
		{ "longterm", no_argument, NULL, 'L' },
		{ "method", required_argument, NULL, 'm' },
		{ "dirty", no_argument, NULL, 'd' },
		{ "hold", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int method;
	uint64_t v;
	int c;

	memset(t, 0, sizeof(*t));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (parse_size(optarg, &t->anon_size) || !t->anon_size)
				return -EINVAL;
			break;
		case 'o':
			if (parse_size(optarg, &t->offset))
				return -EINVAL;
			break;
		case 'l':
			if (parse_size(optarg, &t->len))
				return -EINVAL;
			break;
		case 'w':
			t->flags |= PINCTL_PIN_WRITE;
			break;
		case 'L':
			t->flags |= PINCTL_PIN_LONGTERM;
			break;
		case 'm':
			/* REMOTE needs a pidfd, which pin does not take */
			if (pinctl_method_flag(optarg, &method) ||
			    method == PINCTL_PIN_REMOTE)
				return -EINVAL;
			if (method == PINCTL_PIN_MEMFD)
				t->by_file = 1;
			else
				t->flags |= method;
			break;
		case 'd':
			t->dirty = 1;
			break;
		case 'h':
			if (parse_size(optarg, &v) || v > 86400 * 365)
				return -EINVAL;
			t->hold = v;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		t->file = argv[optind++];
	if (optind != argc || !t->file == !t->anon_size)
		return -EINVAL;
	return 0;
}

/* --offset/--len within the mapping, page aligned; whole mapping by default. */
static int range_of(const struct target *t, char **addr, size_t *len)
{
	uint64_t l = t->len ? t->len : t->maplen - (t->offset < t->maplen ? t->offset : 0);
	size_t page = page_size();

	if (t->offset % page || t->offset >= t->maplen ||
	    l > t->maplen - t->offset)
		return -ERANGE;
	*addr = t->addr + t->offset;
	*len = (l + page - 1) & ~(page - 1);
	return 0;
}

/*
 * The state of @n pages: the first @n of pin @handle (QUERY), or those
 * mapped at @addr when it is not NULL (PROBE).
 */
static int show_pages(struct pinctl *ctx, uint64_t handle, char *addr,
		      size_t n)
{
	size_t shown = n > 8 ? 8 : n;
	struct pinctl_page *p = calloc(n, sizeof(*p));
	size_t counts[15] = { 0 };
	char label[32];
	int ret;

	if (!p)
		return -ENOMEM;
	ret = addr ? pinctl_probe(ctx, addr, n * page_size(), p) :
		     pinctl_query(ctx, handle, 0, n, p);
	for (size_t i = 0; !ret && i < n; i++) {
		for (int b = 0; b < 15; b++)
			counts[b] += !!(p[i].flags & (1U << b));
		if (i < shown) {
			snprintf(label, sizeof(label), "page %zu:", i);
			print_page(label, &p[i]);
		}
	}
	if (!ret && n > shown)
		printf("  ... %zu pages: %zu present, %zu pinned, %zu dirty, %zu writeback, %zu truncated\n",
		       n, counts[0], counts[1], counts[8], counts[9], counts[5]);
	free(p);
	return ret;
}

/*
 * --method memfd: FILE, or a new memfd of --anon SIZE, pinned by offset
 * with memfd_pin_folios(), without mapping it; *@fd stays open for the
 * life of the pin.
 */
static int pin_by_file(struct pinctl *ctx, const struct target *t, int *fd,
		       struct pinctl_pin_result *res, size_t *len)
{
	size_t page = page_size();
	struct stat st;
	uint64_t l;
	int ret;

	if (t->file)
		*fd = open(t->file, t->flags & PINCTL_PIN_WRITE ? O_RDWR : O_RDONLY);
	else
		*fd = memfd_create("pinctl", MFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (!t->file && ftruncate(*fd, t->anon_size))
		return -errno;
	if (fstat(*fd, &st))
		return -errno;
	l = t->len ? t->len :
	    (uint64_t)st.st_size > t->offset ? st.st_size - t->offset : 0;
	*len = (l + page - 1) & ~(page - 1);
	ret = pinctl_pin_memfd(ctx, *fd, t->offset, *len, t->flags, res);
	if (ret)
		return ret;
	printf("pinned %zu bytes at offset %llu of %s by memfd_pin_folios(), handle %llu, %llu folios\n",
	       *len, (unsigned long long)t->offset, t->file ? t->file : "a new memfd",
	       (unsigned long long)res->handle, (unsigned long long)res->nfolios);
	return 0;
}

/* The range --offset/--len names in a mapping of the target, pinned. */
static int pin_by_address(struct pinctl *ctx, struct target *t,
			  struct pinctl_pin_result *res, size_t *len)
{
	char *addr;
	int ret;

	ret = map_target(t, t->flags & PINCTL_PIN_WRITE);
	if (ret)
		return ret;
	ret = range_of(t, &addr, len);
	if (ret)
		return ret;
	ret = pinctl_pin2(ctx, addr, *len, t->flags, res);
	if (ret)
		return ret;
	printf("pinned %zu bytes at %p, handle %llu\n", *len, (void *)addr,
	       (unsigned long long)res->handle);
	return 0;
}

static int cmd_pin(int argc, char **argv)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	struct pinctl *ctx;
	struct target t;
	size_t len;
	int ret, fd = -1;

	if (parse_target(argc, argv, &t))
		return usage(2);
	if (open_dev(&ctx))
		return 1;
	ret = t.by_file ? pin_by_file(ctx, &t, &fd, &res, &len) :
			  pin_by_address(ctx, &t, &res, &len);
	if (ret) {
		pinctl_close(ctx);
		if (fd >= 0)
			close(fd);
		return fail(t.file ? t.file : "pin", ret);
	}
	/* as many entries as the pin holds pages, whatever the page size */
	ret = show_pages(ctx, res.handle, NULL, res.npages);
	for (unsigned int left = t.hold; !ret && left; left--) {
		if (left % 10 == 0 || left == t.hold)
			printf("holding the pin: %u s left (pid %d)\n", left, getpid());
		fflush(stdout);
		sleep(1);
	}
	if (!ret && t.hold)
		ret = show_pages(ctx, res.handle, NULL, res.npages);
	ret = ret ?: pinctl_unpin(ctx, res.handle, t.dirty ? PINCTL_UNPIN_DIRTY : 0);
	if (!ret)
		printf("released%s\n", t.dirty ? " (dirty)" : "");
	pinctl_close(ctx);
	if (fd >= 0)
		close(fd);
	return ret ? fail("pin", ret) : 0;
}

static int cmd_probe(int argc, char **argv)
{
	struct pinctl *ctx;
	struct target t;
	size_t len;
	char *addr;
	int ret;

	if (parse_target(argc, argv, &t) || t.flags || t.by_file || t.dirty ||
	    t.hold)
		return usage(2);
	ret = map_target(&t, 0);
	if (ret)
		return fail(t.file ? t.file : "mmap", ret);
	ret = range_of(&t, &addr, &len);
	if (ret)
		return fail("--offset/--len", ret);
	if (open_dev(&ctx))
		return 1;
	ret = show_pages(ctx, 0, addr, len / page_size());
	pinctl_close(ctx);
	return ret ? fail("probe", ret) : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2)
		return usage(2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(0);
	if (!strcmp(argv[1], "info") && argc == 2)
		return cmd_info();
	if (!strcmp(argv[1], "stats") && argc == 2)
		return cmd_stats();
	if (!strcmp(argv[1], "demo") && argc == 2)
		return cmd_demo();
	if (!strcmp(argv[1], "pin"))
		return cmd_pin(argc - 1, argv + 1);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "load") && argc <= 3) {
		ret = pinctl_module_load(argc > 2 ? argv[2] : NULL);
		if (ret == -EEXIST)
			return 0;
		return ret ? fail("load", ret) : 0;
	}
	if (!strcmp(argv[1], "unload") && argc == 2) {
		ret = pinctl_module_unload();
		return ret ? fail("unload", ret) : 0;
	}
	return usage(2);
}
