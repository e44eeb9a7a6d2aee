// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading and unloading pintest.ko through libkmod.  libkmod is not
 * thread-safe, so every call makes its own short-lived context; its log
 * goes to stderr only when PINCTL_DEBUG is set in the environment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <libkmod.h>

#include "libpinctl-private.h"
#include "pinctl.h"

#define PINTEST_MODULE "pintest"

static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	if (!getenv("PINCTL_DEBUG"))
		return;
	fputs("libkmod: ", stderr);
	vfprintf(stderr, format, args);
}

static int kmod_open(struct kmod_ctx **kctx)
{
	*kctx = kmod_new(NULL, NULL);
	if (!*kctx)
		return -ENOMEM;
	kmod_set_log_fn(*kctx, kmod_log, NULL);
	return 0;
}

/* By name, as systemd does: modules.dep, aliases and modprobe.d apply. */
static int load_by_name(struct kmod_ctx *kctx)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod;
	int ret;

	ret = kmod_module_new_from_lookup(kctx, PINTEST_MODULE, &list);
	if (ret)
		return ret;
	if (!list)
		return -ENOENT;
	mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	ret = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED,
					      NULL, NULL, NULL, NULL);
	kmod_module_unref(mod);
	/* no KMOD_PROBE_APPLY_BLACKLIST* flag: 0 or a negative errno */
	return ret;
}

/*
 * As insmod, but with the options modprobe.d and the kernel command line
 * ("pintest.edu_dma_bits=64") give the module, as loading by name would.
 */
static int load_from_path(struct kmod_ctx *kctx, const char *ko_path)
{
	struct kmod_module *mod;
	int ret;

	ret = kmod_module_new_from_path(kctx, ko_path, &mod);
	if (ret)
		return ret;
	ret = kmod_module_insert_module(mod, 0, kmod_module_get_options(mod));
	kmod_module_unref(mod);
	return ret;
}

PINCTL_EXPORT int pinctl_module_load(const char *ko_path)
{
	struct kmod_ctx *kctx;
	int ret = kmod_open(&kctx);

	if (ret)
		return ret;
	ret = ko_path ? load_from_path(kctx, ko_path) : load_by_name(kctx);
	kmod_unref(kctx);
	return ret;
}

/* Runs @op on the pintest module as the running kernel knows it. */
static int with_module(int (*op)(struct kmod_module *mod))
{
	struct kmod_ctx *kctx;
	struct kmod_module *mod;
	int ret = kmod_open(&kctx);

	if (ret)
		return ret;
	ret = kmod_module_new_from_name(kctx, PINTEST_MODULE, &mod);
	if (!ret) {
		ret = op(mod);
		kmod_module_unref(mod);
	}
	kmod_unref(kctx);
	return ret;
}

/* libkmod removes with O_NONBLOCK: -EAGAIN while /dev/pintest is open. */
static int remove_module(struct kmod_module *mod)
{
	return kmod_module_remove_module(mod, 0);
}

static int module_is_live(struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);

	if (state == -ENOENT)
		return 0;
	return state < 0 ? state : state == KMOD_MODULE_LIVE;
}

PINCTL_EXPORT int pinctl_module_unload(void)
{
	return with_module(remove_module);
}

PINCTL_EXPORT int pinctl_module_loaded(void)
{
	return with_module(module_is_live);
}
