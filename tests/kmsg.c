// SPDX-License-Identifier: GPL-2.0
/* Counting kernel complaints in /dev/kmsg; see kmsg.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

static const char *const complaints[] = {
	"WARNING:", "BUG:", "Oops", "general protection fault",
	"possible recursive locking", "circular locking dependency",
	"inconsistent lock state", "does not have buffers attached",
	"suspicious RCU usage", "bad unlock balance", "UBSAN:",
};

/* Returns a descriptor positioned after the last record, or -errno. */
int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* Complaints logged since kmsg_open(); each is printed.  Closes @fd. */
int kmsg_reports(int fd, const char *who)
{
	char rec[8192];
	int reports = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: read on */
		if (n <= 0)
			break;
		rec[n] = 0;
		for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++) {
			if (strstr(rec, complaints[i])) {
				const char *text = strchr(rec, ';');

				printf("%s: kernel: %s", who, text ? text + 1 : rec);
				reports++;
				break;
			}
		}
	}
	close(fd);
	return reports;
}
