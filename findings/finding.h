/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every reproducer of findings/ shares: its last line,
 * "finding NAME: SHOWN|NOT SHOWN|SKIP (why)", and its exit status,
 * 0, 1 or 4, which findings/run reads.
 */
#ifndef FINDING_H
#define FINDING_H

#include <stdarg.h>
#include <stdio.h>

enum verdict { SHOWN = 0, NOT_SHOWN = 1, SKIP = 4 };

static inline int __attribute__((format(printf, 3, 4)))
verdict(const char *name, enum verdict v, const char *fmt, ...)
{
	static const char *const words[] = {
		[SHOWN] = "SHOWN", [NOT_SHOWN] = "NOT SHOWN", [SKIP] = "SKIP",
	};
	va_list ap;

	printf("finding %s: %s (", name, words[v]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	return v;
}

#endif /* FINDING_H */
