// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD stand-in for the kernel's module loader, as kmod's own test
 * suite does it: libkmod inserts modules with syscall(__NR_finit_module),
 * and this answers like the kernel would, without loading anything:
 * ENOEXEC for a file that is not ELF, EEXIST when FAKE_KMOD_LOADED=1,
 * otherwise success.  Every other system call goes to the real syscall().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long fake_finit_module(int fd)
{
	char magic[4];

	if (pread(fd, magic, sizeof(magic), 0) != sizeof(magic) ||
	    memcmp(magic, "\177ELF", 4)) {
		errno = ENOEXEC;
		return -1;
	}
	if (getenv("FAKE_KMOD_LOADED")) {
		errno = EEXIST;
		return -1;
	}
	return 0;
}

long syscall(long number, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (number == __NR_finit_module)
		return fake_finit_module((int)a[0]);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
