// SPDX-License-Identifier: GPL-2.0
/*
 * jump-label-enomem: loading a module whose code uses static keys of the
 * kernel (pintest.ko's use hugetlb_optimize_vmemmap_key, devmap_managed_key
 * and mmap_lock tracepoints) allocates a struct static_key_mod per key in
 * jump_label_add_module(); when one of those kzalloc()s fails, the
 * module notifier jump_label_module_notify() WARNs ("Failed to allocate
 * memory: jump_label may not work properly") and jump_label_del_module()
 * WARNs again for the keys it never reached.  An allocation failure is
 * an ordinary error: the load fails with ENOMEM, as it does for the
 * loader's other allocations; a WARN panics a panic_on_warn machine.
 *
 *   jump-label-enomem [KO]
 *
 * Fails the Nth fault-injection point of finit_module(2) of KO (default
 * driver/pintest.ko) for N = 1, 2, ... (/proc/thread-self/fail-nth,
 * failslab) until the kernel log shows that WARN or the load gets
 * through, then loads KO cleanly and leaves the module as it found it.
 * Needs root and a kernel with fault injection: the debug kernel (make
 * debug-kernel); elsewhere it SKIPs.  Ends with "finding
 * jump-label-enomem: ..." and exits 0 (SHOWN), 1 (NOT SHOWN) or 4 (SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "finding.h"
#include "pinctl.h"

#define NAME "jump-label-enomem"
#define FAIL_NTH "/proc/thread-self/fail-nth"
#define FAILSLAB "/sys/kernel/debug/failslab/"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, s, strlen(s));
	int err = n == (ssize_t)strlen(s) ? 0 : -errno;

	if (fd >= 0)
		close(fd);
	return err;
}

/* The first word of @path into @buf, of WORD bytes; -errno. */
#define WORD 16
static int read_word(const char *path, char *buf)
{
	FILE *f = fopen(path, "r");
	int ret = f && fscanf(f, "%15s", buf) == 1 ? 0 : -ENOENT;

	if (f)
		fclose(f);
	return ret;
}

/* A record of the WARN. */
static int is_warn(const char *rec)
{
	return strstr(rec, "jump_label may not work properly") ||
	       strstr(rec, "jump_label_module_notify");
}

struct sweep {
	long faults;		/* the fault whose load WARNed, or the last */
	int warned;
	int stray;		/* a load that failed with no fault injected */
};

/* Loads @ko under fault N = 1, 2, ... until the WARN or a clean load. */
static void sweep(int ko, int kmsg, struct sweep *s)
{
	char nth[32];

	for (s->faults = 1; s->faults < 100000; s->faults++) {
		long ret, left;

		lseek(kmsg, 0, SEEK_END);
		snprintf(nth, sizeof(nth), "%ld", s->faults);
		write_str(FAIL_NTH, nth);
		ret = syscall(SYS_finit_module, ko, "", 0) ? -errno : 0;
		if (read_word(FAIL_NTH, nth))
			nth[0] = 0;
		write_str(FAIL_NTH, "0");
		left = atol(nth);
		if (!ret)
			pinctl_module_unload();
		if (log_shows(kmsg, is_warn)) {
			s->warned = 1;
			printf(NAME ": fault %ld of the load: the kernel WARNed in "
			       "jump_label_module_notify(); the load returned %s\n",
			       s->faults, ret ? strerror(-ret) : "success");
			return;
		}
		if (left > 0) {
			/* the load reached fewer than N fault points */
			s->stray = ret;
			if (ret)
				printf(NAME ": a load with no fault injected failed: %s\n",
				       strerror(-ret));
			return;
		}
	}
}

int main(int argc, char **argv)
{
	const char *ko = argc > 1 ? argv[1] : "driver/pintest.ko";
	char gfp[WORD] = "Y", verbose[WORD] = "2";
	struct sweep s = { 0 };
	int fd, kmsg, loaded, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(FAIL_NTH, W_OK) || access(FAILSLAB "ignore-gfp-wait", W_OK))
		return verdict(NAME, SKIP, "needs a kernel with fault injection (fail-nth, "
			       "failslab): the 6.1 debug kernel, make debug-kernel");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verdict(NAME, SKIP, "cannot open %s: %s", ko, strerror(errno));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0) {
		close(fd);
		return verdict(NAME, SKIP, "cannot read /dev/kmsg: %s", strerror(errno));
	}
	loaded = pinctl_module_loaded() > 0;
	ret = loaded ? pinctl_module_unload() : 0;
	if (ret) {
		close(kmsg);
		close(fd);
		return verdict(NAME, SKIP, "cannot unload the module: %s", strerror(-ret));
	}
	/* the loader's allocations sleep: let failslab fail them, quietly */
	read_word(FAILSLAB "ignore-gfp-wait", gfp);
	read_word(FAILSLAB "verbose", verbose);
	write_str(FAILSLAB "ignore-gfp-wait", "N");
	write_str(FAILSLAB "verbose", "0");

	printf(NAME ": finit_module(%s) with its Nth allocation failing, N = 1, 2, ...\n", ko);
	sweep(fd, kmsg, &s);

	write_str(FAILSLAB "ignore-gfp-wait", gfp);
	write_str(FAILSLAB "verbose", verbose);
	/* put the module back as it was; a failed load here is news too */
	ret = pinctl_module_load(ko);
	printf(NAME ": a load without faults afterwards: %s\n",
	       ret ? strerror(-ret) : "loaded");
	if (!ret && !loaded)
		pinctl_module_unload();
	close(kmsg);
	close(fd);
	if (s.warned)
		return verdict(NAME, SHOWN, "fault %ld of finit_module() WARNed in "
			       "jump_label_module_notify()", s.faults);
	if (s.stray)
		return verdict(NAME, SKIP, "a load without faults failed (%s) before "
			       "the sweep reached jump_label_add_module()", strerror(-s.stray));
	return verdict(NAME, NOT_SHOWN, "%ld faults, each load failed cleanly or "
		       "got through; no WARN", s.faults);
}
