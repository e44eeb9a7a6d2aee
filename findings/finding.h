/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every reproducer of findings/ shares: its last line,
 * "finding NAME: SHOWN|NOT SHOWN|SKIP (why)", and its exit status,
 * 0, 1 or 4, which findings/run reads.
 */
#ifndef FINDING_H
#define FINDING_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

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

/*
 * Whether a record of the kernel log, from where @kmsg (/dev/kmsg opened
 * O_NONBLOCK) stands to its end, is one @match() takes.
 */
static inline int log_shows(int kmsg, int (*match)(const char *rec))
{
	char rec[8192];
	int seen = 0;
	ssize_t n;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: read on */
		if (n < 0)
			break;		/* EAGAIN: no more */
		rec[n] = 0;
		seen |= match(rec);
	}
	return seen;
}

#endif /* FINDING_H */
