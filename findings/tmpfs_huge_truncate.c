// SPDX-License-Identifier: GPL-2.0
/*
 * tmpfs-huge-truncate: on tmpfs mounted huge=always, a truncate into the
 * middle of a pinned 2 MiB folio cannot split it, so the folio stays in
 * the page cache whole, its pages past the new EOF with it.  The device
 * holding the pin may still write them; when the file grows again
 * (ftruncate up), tmpfs does not zero them and what the device wrote
 * past the old EOF reads back as file data.  POSIX wants the extended
 * part to read as zeros; xfs zeroes it.
 *
 *   tmpfs-huge-truncate [DIR]
 *
 * DIR is a tmpfs mounted huge=always: the argument, else
 * $PINTEST_TMPFS_HUGE_DIR (vm/pintest-vm sets it), else one mounted here
 * (root) and unmounted at the end.  Needs /dev/pintest (the pin, and the
 * CPU as the device).  Ends with "finding tmpfs-huge-truncate: ..." and
 * exits 0 (SHOWN), 1 (NOT SHOWN) or 4 (SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "finding.h"
#include "pinctl.h"

#define NAME "tmpfs-huge-truncate"
#define SEED 4

/* The PMD size, the size of tmpfs's huge folios; 0 without THP. */
static size_t pmd_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long sz = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &sz) != 1)
		sz = 0;
	fclose(f);
	return sz;
}

/* Bytes of @buf, at file offset @pos, that are what the device wrote. */
static size_t device_bytes(const char *buf, uint64_t pos, size_t len)
{
	return len - pinctl_pattern_check(buf, pos, len, SEED, NULL);
}

static size_t nonzero_bytes(const char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += !!buf[i];
	return n;
}

/*
 * The steps on a file in @dir; the verdict.  The file is 2 folios: the
 * first is truncated into, the second wholly (a control: it must read
 * back as zeros on every file system).
 */
static int reproduce(struct pinctl *ctx, const char *dir, size_t folio)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 2 * folio;
	size_t eof = folio / 2, npages = len / page, tail, dev, nonzero, past;
	struct pinctl_page *p = calloc(npages, sizeof(*p));
	char path[4096], *buf = malloc(len), *map = MAP_FAILED;
	int fd = -1, ret = SKIP, err;
	size_t kept = 0;
	uint64_t h;

	snprintf(path, sizeof(path), "%s/" NAME ".XXXXXX", dir);
	if (!p || !buf) {
		ret = verdict(NAME, SKIP, "out of memory");
		goto out;
	}
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, len)) {
		ret = verdict(NAME, SKIP, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = verdict(NAME, SKIP, "mmap: %s", strerror(errno));
		goto out;
	}
	memset(map, 0, len);	/* a store per page: tmpfs allocates its folios */
	err = pinctl_pin(ctx, map, len, PINCTL_PIN_WRITE, &h);
	if (err) {
		ret = verdict(NAME, SKIP, "pin: %s", strerror(-err));
		goto out;
	}
	err = pinctl_query(ctx, h, 0, npages, p);
	if (err || !(p[0].flags & PINCTL_PAGE_LARGE) || (page << p[0].order) != folio) {
		ret = verdict(NAME, SKIP, "%s gave no %zu KiB folio (flags %#x, order %u)",
			      dir, folio >> 10, p[0].flags, p[0].order);
		pinctl_unpin(ctx, h, 0);
		goto out;
	}
	printf(NAME ": %s: a file of %zu KiB, 2 folios of %zu KiB, pinned for writing\n",
	       path, len >> 10, folio >> 10);

	if (ftruncate(fd, eof)) {
		ret = verdict(NAME, SKIP, "ftruncate down: %s", strerror(errno));
		pinctl_unpin(ctx, h, 0);
		goto out;
	}
	pinctl_query(ctx, h, 0, npages, p);
	for (size_t i = 0; i < folio / page; i++)
		kept += (p[i].flags & (PINCTL_PAGE_FILE | PINCTL_PAGE_TRUNCATED)) ==
			PINCTL_PAGE_FILE;
	printf(NAME ": ftruncate to %zu KiB: %zu of the first folio's %zu pages still "
	       "in the file (%s), pincount %u\n", eof >> 10, kept, folio / page,
	       kept == folio / page ? "not split" : "split", p[0].pincount);

	/* the device writes the whole pin, past EOF too, then lets go */
	err = pinctl_dma_fill(ctx, h, 0, len, SEED);
	err = err ?: pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY);
	if (err) {
		ret = verdict(NAME, SKIP, "device write or unpin: %s", strerror(-err));
		goto out;
	}
	printf(NAME ": the device wrote the pattern of seed %d over all %zu KiB; "
	       "unpinned, dirty\n", SEED, len >> 10);

	if (ftruncate(fd, len) || pread(fd, buf, len, 0) != (ssize_t)len) {
		ret = verdict(NAME, SKIP, "ftruncate up or read: %s", strerror(errno));
		goto out;
	}
	tail = folio - eof;
	dev = device_bytes(buf + eof, eof, tail);
	nonzero = nonzero_bytes(buf + eof, tail);
	past = nonzero_bytes(buf + folio, len - folio);
	printf(NAME ": ftruncate back to %zu KiB; of the %zu bytes from the old EOF to "
	       "the folio's end, %zu are the device's pattern, %zu nonzero; "
	       "of the second folio, %zu bytes nonzero\n", len >> 10, tail,
	       dev, nonzero, past);
	if (nonzero)
		ret = verdict(NAME, SHOWN, "%zu of %zu bytes past the old EOF read back "
			      "nonzero, %zu of them the device's pattern", nonzero, tail, dev);
	else
		ret = verdict(NAME, NOT_SHOWN, "the %zu bytes past the old EOF read "
			      "back as zeros", tail);
out:
	if (map != MAP_FAILED)
		munmap(map, len);
	if (fd >= 0) {
		unlink(path);
		close(fd);
	}
	free(buf);
	free(p);
	return ret;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("PINTEST_TMPFS_HUGE_DIR");
	char own[] = "/tmp/" NAME ".XXXXXX";
	size_t folio = pmd_size();
	struct pinctl *ctx;
	int ret, mounted = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!folio)
		return verdict(NAME, SKIP, "the kernel has no transparent huge pages");
	ret = pinctl_open(&ctx, NULL);
	if (ret)
		return verdict(NAME, SKIP, "cannot open /dev/pintest: %s (load the module: "
			       "pinctl load)", strerror(-ret));
	if (!dir) {
		char opts[64];

		snprintf(opts, sizeof(opts), "size=%zuk,huge=always", 4 * folio >> 10);
		if (!mkdtemp(own) || mount("tmpfs", own, "tmpfs", 0, opts)) {
			ret = verdict(NAME, SKIP, "cannot mount a tmpfs huge=always on %s: %s",
				      own, strerror(errno));
			rmdir(own);
			pinctl_close(ctx);
			return ret;
		}
		dir = own;
		mounted = 1;
	}
	ret = reproduce(ctx, dir, folio);
	pinctl_close(ctx);
	if (mounted) {
		umount(own);
		rmdir(own);
	}
	return ret;
}
