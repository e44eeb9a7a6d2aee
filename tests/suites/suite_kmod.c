// SPDX-License-Identifier: GPL-2.0
/*
 * libpinctl's module loading through libkmod, with the kernel's loader
 * played by tests/fake-kmod.so (LD_PRELOAD), so it runs on any machine:
 * success, already loaded, missing file, not an ELF file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

#define HELPER "tests/kmod-load"
#define FAKE "tests/fake-kmod.so"

/* What pinctl_module_load(path) returned in the helper. */
static int load_with_fake(const char *path, int loaded)
{
	char cmd[512];
	int ret = 1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "LD_PRELOAD=%s %s %s %s", FAKE,
		 loaded ? "FAKE_KMOD_LOADED=1" : "", HELPER, path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &ret), 1);
	ck_assert_int_eq(pclose(p), 0);
	return ret;
}

static const char *make_file(const char *name, const void *data, size_t len)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/pintest-%d-%s", getpid(), name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

START_TEST(load_succeeds)
{
	static const char elf[64] = "\177ELF\2\1\1";
	const char *path = make_file("good.ko", elf, sizeof(elf));

	ck_assert_int_eq(load_with_fake(path, 0), 0);
	unlink(path);
}
END_TEST

START_TEST(load_already_loaded)
{
	static const char elf[64] = "\177ELF\2\1\1";
	const char *path = make_file("loaded.ko", elf, sizeof(elf));

	ck_assert_int_eq(load_with_fake(path, 1), -EEXIST);
	unlink(path);
}
END_TEST

START_TEST(load_missing_file)
{
	ck_assert_int_eq(load_with_fake("/nonexistent/pintest.ko", 0), -ENOENT);
}
END_TEST

START_TEST(load_bad_elf)
{
	static const char text[] = "this is not a kernel module\n";
	const char *path = make_file("bad.ko", text, sizeof(text));

	ck_assert_int_eq(load_with_fake(path, 0), -ENOEXEC);
	unlink(path);
}
END_TEST

Suite *suite_kmod(struct pt_run *run)
{
	const char *nohelper = access(HELPER, X_OK) || access(FAKE, R_OK) ?
			       "tests/kmod-load or tests/fake-kmod.so not built (make tests)" :
			       NULL;
	TCase *tc;
	Suite *s = pt_suite(run, "kmod", 30, &tc);

	PT_ADD(run, tc, load_succeeds, nohelper);
	PT_ADD(run, tc, load_already_loaded, nohelper);
	PT_ADD(run, tc, load_missing_file, nohelper);
	PT_ADD(run, tc, load_bad_elf, nohelper);
	return s;
}
