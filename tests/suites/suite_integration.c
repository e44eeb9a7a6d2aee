// SPDX-License-Identifier: GPL-2.0
/*
 * The installed project, in the VM: a program built with pkg-config
 * against a DESTDIR install runs, systemd-udevd applies the udev rule to
 * /dev/pintest, and the module DKMS installed loads by name.  Runs last:
 * the DKMS case unloads and reloads the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pt.h"

#define EXAMPLE "build/pkgconfig-example"
#define DESTLIB "build/destdir/usr/lib"
#define UDEVD "/lib/systemd/systemd-udevd"

static void run(const char *cmd)
{
	int status = system(cmd);

	ck_assert_msg(status == 0, "'%s' exited with %d", cmd, status);
}

START_TEST(installed_library_via_pkg_config)
{
	/* linked against the installed shared library, not the tree's */
	run("readelf -d " EXAMPLE " | grep -q 'NEEDED.*libpinctl.so.1'");
	run("LD_LIBRARY_PATH=" DESTLIB " " EXAMPLE);
}
END_TEST

START_TEST(udev_rule_sets_group_and_mode)
{
	struct stat st;
	struct group *gr;

	run("getent group pintest >/dev/null || groupadd --system pintest");
	run("mkdir -p /run/udev/rules.d && cp udev/70-pintest.rules /run/udev/rules.d/");
	run(UDEVD " --daemon");
	run("udevadm trigger --action=add /sys/class/misc/pintest && udevadm settle --timeout=60");
	run("udevadm control --exit");
	gr = getgrnam("pintest");
	ck_assert_ptr_nonnull(gr);
	ck_assert_int_eq(stat("/dev/pintest", &st), 0);
	ck_assert_msg(st.st_gid == gr->gr_gid, "/dev/pintest group %u, want pintest (%u)",
		      st.st_gid, gr->gr_gid);
	ck_assert_msg((st.st_mode & 07777) == 0660, "/dev/pintest mode %o, want 660",
		      st.st_mode & 07777);
}
END_TEST

/* Whether DKMS installed the module for this kernel (6.12's is .ko.xz). */
static int dkms_module_installed(void)
{
	static const char *const ext[] = { "ko", "ko.xz", "ko.zst", "ko.gz" };
	struct utsname u;
	char path[256];

	uname(&u);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path),
			 "/lib/modules/%s/updates/dkms/pintest.%s", u.release,
			 ext[i]);
		if (!access(path, R_OK))
			return 1;
	}
	return 0;
}

START_TEST(dkms_module_loads_by_name)
{
	char version[32] = "", want[32] = "";
	FILE *f;

	f = fopen("VERSION", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
	fclose(f);

	ck_assert_int_eq(pinctl_module_unload(), 0);
	ck_assert_int_eq(pinctl_module_loaded(), 0);
	/* by name: modules.dep points at the DKMS copy */
	run("modinfo -n pintest | grep -q /updates/dkms/");
	ck_assert_int_eq(pinctl_module_load(NULL), 0);
	ck_assert_int_eq(pinctl_module_loaded(), 1);
	f = fopen("/sys/module/pintest/version", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(version, sizeof(version), f));
	fclose(f);
	ck_assert_str_eq(version, want);	/* both end in a newline */
	run("tools/pinctl info >/dev/null");
	/* back to the tree's module for whatever runs after */
	ck_assert_int_eq(pinctl_module_unload(), 0);
	ck_assert_int_eq(pinctl_module_load("driver/pintest.ko"), 0);
}
END_TEST

Suite *suite_integration(struct pt_run *run)
{
	const char *nodev = pt_device_missing() ?:
			    (getuid() ? "needs root (groupadd, udevd, module loading)" : NULL);
	TCase *tc;
	Suite *s = pt_suite(run, "integration", 120, &tc);

	PT_ADD(run, tc, installed_library_via_pkg_config, nodev ?:
	       (access(EXAMPLE, X_OK) ? EXAMPLE " is not built (tests/install/install-check)" : NULL));
	PT_ADD(run, tc, udev_rule_sets_group_and_mode, nodev ?:
	       (access(UDEVD, X_OK) ? UDEVD " is not installed" : NULL));
	PT_ADD(run, tc, dkms_module_loads_by_name, nodev ?:
	       (dkms_module_installed() ? NULL : "no DKMS-installed module (make dkms-install)"));
	return s;
}
