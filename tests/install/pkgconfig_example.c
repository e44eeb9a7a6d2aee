// SPDX-License-Identifier: GPL-2.0
/*
 * A user of the installed library: built by tests/install/install-check with
 * nothing but `pkg-config --cflags --libs libpinctl` against a DESTDIR
 * install (the uapi header too, from its own directory), and run in the
 * VM by the integration suite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pintest.h>
#include <pinctl.h>

int main(void)
{
	const size_t page = sysconf(_SC_PAGESIZE), len = 2 * page;
	struct pinctl *ctx;
	uint64_t handle;
	char *buf = aligned_alloc(page, len);
	int ret;

	if (!buf)
		return 1;
	memset(buf, 0, len);
	ret = pinctl_open(&ctx, NULL);
	if (ret) {
		fprintf(stderr, "pinctl_open: %s\n", strerror(-ret));
		return 1;
	}
	ret = pinctl_pin(ctx, buf, len, PINCTL_PIN_WRITE, &handle);
	ret = ret ?: pinctl_dma_fill(ctx, handle, 0, len, 99);
	ret = ret ?: pinctl_pattern_check(buf, 0, len, 99, NULL) ? -1 : 0;
	ret = ret ?: pinctl_unpin(ctx, handle, 0);
	pinctl_close(ctx);
	free(buf);
	if (ret) {
		fprintf(stderr, "pkgconfig-example: failed (%d)\n", ret);
		return 1;
	}
	printf("pkgconfig-example: pinned, filled and released 2 pages (uapi ABI %d)\n",
	       PINTEST_ABI_VERSION);
	return 0;
}
