// SPDX-License-Identifier: GPL-2.0
/*
 * Memory the pinning API must refuse or treat specially: the shared zero
 * page (a read-only pin may hold it, a write pin never does), memfd_secret
 * (refused: its pages are out of the kernel's direct map), KSM-merged
 * pages (a write pin unshares, a read-only pin shares) and a range
 * registered with userfaultfd in missing mode (the pin waits for the
 * handler and then holds what it supplied).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "pt.h"

static char *unpopulated(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/*
 * Read, never written: the zero page is mapped.  A read-only pin holds
 * it (QUERY says ZERO; the device reads zeros and may not write); a write
 * pin breaks COW first and never holds it.
 */
START_TEST(zero_page)
{
	struct pinctl *ctx = pt_open();
	volatile char *buf = unpopulated(2 * PAGE);
	struct pinctl_page page;
	char seen = 1;
	uint64_t ro, rw;

	ck_assert_int_eq(buf[0] + buf[PAGE], 0);
	ck_assert_int_eq(pinctl_pin(ctx, (void *)buf, PAGE, 0, &ro), 0);
	ck_assert_int_eq(pinctl_query(ctx, ro, 0, 1, &page), 0);
	ck_assert_msg(page.flags & PINCTL_PAGE_ZERO, "flags %#x", page.flags);
	ck_assert_int_eq(pinctl_dma_read(ctx, ro, 5, &seen, 1), 0);
	ck_assert_int_eq(seen, 0);
	ck_assert_int_eq(pinctl_dma_write(ctx, ro, 5, "x", 1), -EPERM);
	ck_assert_int_eq(pinctl_pin(ctx, (void *)(buf + PAGE), PAGE,
				    PINCTL_PIN_WRITE, &rw), 0);
	ck_assert_int_eq(pinctl_query(ctx, rw, 0, 1, &page), 0);
	ck_assert_msg(!(page.flags & PINCTL_PAGE_ZERO), "write pin of the zero page");
	ck_assert_msg(page.flags & PINCTL_PAGE_ANON_EXCLUSIVE, "flags %#x", page.flags);
	ck_assert_int_eq(pinctl_dma_write(ctx, rw, 5, "x", 1), 0);
	ck_assert_int_eq(buf[PAGE + 5], 'x');
	pinctl_close(ctx);
}
END_TEST

static int secret_fd(void)
{
#ifdef SYS_memfd_secret
	return syscall(SYS_memfd_secret, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* secretmem is out of the direct map: no method may pin it. */
START_TEST(memfd_secret_refused)
{
	static const unsigned int how[] = {
		0, PINCTL_PIN_WRITE, PINCTL_PIN_LOCKED | PINCTL_PIN_WRITE,
		PINCTL_PIN_UNLOCKED, PINCTL_PIN_LONGTERM | PINCTL_PIN_WRITE,
	};
	struct pinctl *ctx = pt_open();
	struct pinctl_stats s0, s;
	int fd = secret_fd();
	uint64_t h;
	char *p;

	ck_assert_msg(fd >= 0, "memfd_secret: %s", strerror(errno));
	ck_assert_int_eq(ftruncate(fd, 2 * PAGE), 0);
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[0] = p[PAGE] = 's';
	pt_stats(ctx, &s0);
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++)
		ck_assert_msg(pinctl_pin(ctx, p, 2 * PAGE, how[i], &h) == -EFAULT,
			      "memfd_secret pinned with flags %#x", how[i]);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	munmap(p, 2 * PAGE);
	close(fd);
	pinctl_close(ctx);
}
END_TEST

#define KSM "/sys/kernel/mm/ksm/"

/*
 * Whether @what ("a read-only pin") unshared the KSM page @shared: the
 * page mapped after it, @pfn, is another one; else why not, in @why.
 */
static int unshared(uint64_t pfn, uint64_t shared, const char *what, char *why, size_t size)
{
	if (pfn == shared)
		snprintf(why, size, "%s left the KSM page %#llx mapped: it did not unshare it",
			 what, (unsigned long long)shared);
	else if (pfn == UINT64_MAX)
		snprintf(why, size, "after %s the page is not mapped", what);
	return pfn != shared && pfn != UINT64_MAX;
}

/*
 * Four pages of the same bytes, merged by ksmd into one (the same PFN).
 * A pin must hold a page no one else maps, and a KSM page never is one:
 * a write pin and a read-only pin alike unshare their page first; the
 * pages not pinned stay merged.  ksmd's run and sleep_millisecs are put
 * back as they were, also when a check fails, and the pages of the case
 * unmerged.
 */
START_TEST(ksm_merged_pages)
{
	struct pinctl *ctx = pt_open();
	char *buf = unpopulated(4 * PAGE);
	long run0 = procfs_read_long(KSM "run");
	long sleep0 = procfs_read_long(KSM "sleep_millisecs");
	uint64_t ro, rw, shared, pfn[4];
	char why[256] = "";
	int tries, put_back;
	char c;

	ck_assert_msg(run0 >= 0 && sleep0 >= 0, "%s unreadable", KSM);
	memset(buf, 'k', 4 * PAGE);
	ck_assert_int_eq(madvise(buf, 4 * PAGE, MADV_MERGEABLE), 0);
	PT_EXPECT_EQ(procfs_write(KSM "sleep_millisecs", "10"), 0, why, out);
	PT_EXPECT_EQ(procfs_write(KSM "run", "1"), 0, why, out);
	for (tries = 0; tries < 200; tries++) {
		shared = pt_pfn_at(ctx, buf);
		if (shared != UINT64_MAX && shared == pt_pfn_at(ctx, buf + PAGE) &&
		    shared == pt_pfn_at(ctx, buf + 3 * PAGE))
			break;
		usleep(50 * 1000);
	}
	/* else ksmd did not merge four equal pages in 10 s */
	PT_EXPECT(tries < 200, why, out);

	PT_EXPECT_EQ(pinctl_pin(ctx, buf, PAGE, 0, &ro), 0, why, out);
	pfn[0] = pt_pfn_at(ctx, buf);
	if (!unshared(pfn[0], shared, "a read-only pin", why, sizeof(why)))
		goto out;
	PT_EXPECT_EQ(pinctl_pin(ctx, buf + PAGE, PAGE, PINCTL_PIN_WRITE, &rw), 0, why, out);
	for (int i = 1; i < 4; i++)
		pfn[i] = pt_pfn_at(ctx, buf + i * PAGE);
	if (!unshared(pfn[1], shared, "a write pin", why, sizeof(why)))
		goto out;
	PT_EXPECT(pfn[1] != pfn[0], why, out);
	PT_EXPECT_EQ(pfn[2], shared, why, out);
	PT_EXPECT_EQ(pfn[3], shared, why, out);
	/* the device reads its copy, and its write lands in its page only */
	PT_EXPECT_EQ(pinctl_dma_read(ctx, ro, 7, &c, 1), 0, why, out);
	PT_EXPECT_EQ(c, 'k', why, out);
	PT_EXPECT_EQ(pinctl_dma_write(ctx, rw, 0, "w", 1), 0, why, out);
	PT_EXPECT_EQ(buf[PAGE], 'w', why, out);
	PT_EXPECT_EQ(buf[0], 'k', why, out);
	PT_EXPECT_EQ(buf[3 * PAGE], 'k', why, out);
out:
	pinctl_close(ctx);
	put_back = !madvise(buf, 4 * PAGE, MADV_UNMERGEABLE) &&
		   !procfs_write_long(KSM "run", run0) &&
		   !procfs_write_long(KSM "sleep_millisecs", sleep0);
	munmap(buf, 4 * PAGE);
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_msg(put_back, "could not unmerge, or put back run=%ld sleep_millisecs=%ld",
		      run0, sleep0);
}
END_TEST

struct uffd_handler {
	int uffd;
	char *page;		/* what the handler supplies: 0x77 bytes */
	int served;
};

/* Serves missing-page faults with a page of 0x77 until it served two. */
static void *serve_faults(void *arg)
{
	struct uffd_handler *u = arg;
	struct pollfd pfd = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;

	while (u->served < 2 && poll(&pfd, 1, 10000) == 1) {
		struct uffdio_copy copy;

		if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		copy = (struct uffdio_copy){
			.dst = msg.arg.pagefault.address & ~(PAGE - 1),
			.src = (uintptr_t)u->page, .len = PAGE,
		};
		if (!ioctl(u->uffd, UFFDIO_COPY, &copy))
			u->served++;
	}
	return NULL;
}

/*
 * A range registered for missing faults: the pin faults it in, waits in
 * handle_userfault() until the handler copies a page there, and then
 * holds the page the handler supplied.
 */
START_TEST(userfaultfd_missing)
{
	struct pinctl *ctx = pt_open();
	char *buf = unpopulated(2 * PAGE), seen[2];
	struct uffd_handler u = { .page = pt_anon(PAGE) };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)buf, .len = 2 * PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	pthread_t t;
	uint64_t h;

	memset(u.page, 0x77, PAGE);
	u.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ck_assert_msg(u.uffd >= 0, "userfaultfd: %s", strerror(errno));
	ck_assert_int_eq(ioctl(u.uffd, UFFDIO_API, &api), 0);
	ck_assert_int_eq(ioctl(u.uffd, UFFDIO_REGISTER, &reg), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, serve_faults, &u), 0);
	ck_assert_int_eq(pinctl_pin(ctx, buf, 2 * PAGE, PINCTL_PIN_WRITE, &h), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(u.served, 2);
	ck_assert_int_eq(pinctl_dma_read(ctx, h, PAGE - 1, seen, 2), 0);
	ck_assert_int_eq((unsigned char)seen[0], 0x77);
	ck_assert_int_eq((unsigned char)seen[1], 0x77);
	ck_assert_int_eq(pinctl_dma_write(ctx, h, 0, "u", 1), 0);
	ck_assert_int_eq(buf[0], 'u');
	close(u.uffd);
	pinctl_close(ctx);
}
END_TEST

Suite *suite_special(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (ksmd, PFNs)" : NULL;
	int fd = secret_fd(), uffd;
	const char *nosecret = fd >= 0 ? NULL : errno == ENOSYS ?
			       "memfd_secret is off (secretmem.enable=0) or absent" :
			       "memfd_secret refused to make a file here";
	const char *nouffd;
	TCase *tc;
	Suite *s = pt_suite(run, "special", 60, &tc);

	if (fd >= 0)
		close(fd);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	nouffd = uffd >= 0 ? NULL : errno == ENOSYS ?
		 "the kernel has no userfaultfd (CONFIG_USERFAULTFD)" :
		 "userfaultfd refused (vm.unprivileged_userfaultfd)";
	if (uffd >= 0)
		close(uffd);
	PT_ADD(run, tc, zero_page, nodev);
	PT_ADD(run, tc, memfd_secret_refused, nodev ?: nosecret);
	PT_ADD(run, tc, ksm_merged_pages, nodev ?: noroot ?:
	       (access(KSM "run", W_OK) ? "no KSM (CONFIG_KSM)" : NULL));
	PT_ADD(run, tc, userfaultfd_missing, nodev ?: nouffd);
	return s;
}
