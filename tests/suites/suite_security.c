// SPDX-License-Identifier: GPL-2.0
/*
 * The threat model as tests (see pintest(4), SECURITY): what an
 * unprivileged holder of a /dev/pintest descriptor cannot do.  It cannot
 * make the "device" write into memory it may only read (a root-owned file
 * stays as it was), cannot learn page frame numbers or kernel pointers
 * (nor can root through a descriptor it opened), cannot open the device
 * unless the mode and group allow it, and cannot pin any memory but its
 * own, nor (PINTEST_PIN_REMOTE) another process's that it could not
 * ptrace.  The memlock limit is in suite_lifetime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "pt.h"

#define FILE_LEN (4 * PAGE)

static int drop_to_nobody(void)
{
	return setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY);
}

static char root_file[512];

/*
 * As nobody, with a descriptor root opened: a read-only mapping of a
 * root-owned 0644 file pins only without WRITE, and no DMA may write it.
 */
static int write_root_file_as_nobody(void *p)
{
	struct pinctl *ctx = p;
	uint64_t h, bad;
	char *shared, *private;
	int fd;

	if (drop_to_nobody())
		return 10;
	fd = open(root_file, O_RDONLY);
	if (fd < 0 || open(root_file, O_RDWR) >= 0)
		return 11;
	shared = mmap(NULL, FILE_LEN, PROT_READ, MAP_SHARED, fd, 0);
	private = mmap(NULL, FILE_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
	if (shared == MAP_FAILED || private == MAP_FAILED)
		return 12;
	/* no FOLL_FORCE: a read-only mapping is not writable, shared or not */
	if (pinctl_pin(ctx, shared, FILE_LEN, PINCTL_PIN_WRITE, &h) != -EFAULT)
		return 1;
	if (pinctl_pin(ctx, private, FILE_LEN, PINCTL_PIN_WRITE, &h) != -EFAULT)
		return 2;
	if (pinctl_pin(ctx, shared, FILE_LEN, 0, &h))
		return 3;
	if (pinctl_dma_write(ctx, h, 0, "owned", 5) != -EPERM)
		return 4;
	if (pinctl_dma_fill(ctx, h, 0, FILE_LEN, 1) != -EPERM)
		return 5;
	if (pinctl_dma_start(ctx, h, 0, FILE_LEN, 1, 1, 0) != -EPERM)
		return 6;
	/* reading is what a read-only pin is for */
	if (pinctl_dma_compare(ctx, h, 0, FILE_LEN, 42, &bad, NULL) || bad)
		return 7;
	if (pinctl_unpin(ctx, h, PINCTL_UNPIN_DIRTY))
		return 8;
	return 0;
}

START_TEST(ro_pin_of_root_file_cannot_write_it)
{
	const char *dir = getenv("PINTEST_EXT4_DIR");
	struct pinctl *ctx = pt_open();
	char *want = malloc(FILE_LEN), *got = malloc(FILE_LEN);
	int fd;

	snprintf(root_file, sizeof(root_file), "%s/root-owned", dir);
	pinctl_pattern_fill(want, 0, FILE_LEN, 42);
	fd = open(root_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchown(fd, 0, 0), 0);
	ck_assert_int_eq(write(fd, want, FILE_LEN), FILE_LEN);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);

	ck_assert_int_eq(pt_in_child(write_root_file_as_nobody, ctx), 0);
	pt_drop_caches();	/* read it back from the disk */
	fd = open(root_file, O_RDONLY);
	ck_assert_int_eq(read(fd, got, FILE_LEN), FILE_LEN);
	ck_assert_msg(!memcmp(want, got, FILE_LEN), "the root-owned file changed");
	close(fd);
	unlink(root_file);
	free(want);
	free(got);
	pinctl_close(ctx);
}
END_TEST

/* No output word of any ioctl may look like a kernel address. */
static int kernel_pointer_in(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, b + i, sizeof(v));
		if (v >> 47 == 0x1ffff)		/* 0xffff8000_00000000 and up */
			return 1;
	}
	return 0;
}

static gid_t pintest_gid;

/*
 * Gives the node the mode and group udev/70-pintest.rules gives it, so
 * that nobody in group pintest may open it; @st0 keeps what it was.
 */
static void node_for_group_pintest(struct stat *st0)
{
	struct group *gr;

	ck_assert_int_eq(system("getent group pintest >/dev/null || groupadd --system pintest"), 0);
	gr = getgrnam("pintest");
	ck_assert_ptr_nonnull(gr);
	pintest_gid = gr->gr_gid;
	ck_assert_int_eq(stat("/dev/pintest", st0), 0);
	ck_assert_int_eq(chown("/dev/pintest", 0, pintest_gid), 0);
	ck_assert_int_eq(chmod("/dev/pintest", 0660), 0);
}

static void node_restore(const struct stat *st0)
{
	ck_assert_int_eq(chown("/dev/pintest", st0->st_uid, st0->st_gid), 0);
	ck_assert_int_eq(chmod("/dev/pintest", st0->st_mode & 07777), 0);
}

/* In a child: become nobody in group pintest, open, send the fd back. */
static int open_as_nobody_and_send(void *p)
{
	int sock = *(int *)p, fd;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (setgroups(1, &pintest_gid) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	fd = open("/dev/pintest", O_RDWR);
	if (fd < 0)
		return 1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : 2;
}

/* A descriptor of /dev/pintest that nobody opened, for this process. */
static int nobody_descriptor(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct stat st0;
	int sv[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	node_for_group_pintest(&st0);
	ck_assert_int_eq(pt_in_child(open_as_nobody_and_send, &sv[1]), 0);
	node_restore(&st0);
	ck_assert_int_eq(recvmsg(sv[0], &msg, 0), 1);
	ck_assert_ptr_nonnull(CMSG_FIRSTHDR(&msg));
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	close(sv[0]);
	close(sv[1]);
	return fd;
}

static int look_for_kernel_data(void *p)
{
	int fd = *(int *)p;
	char *buf = pt_anon(2 * PAGE);
	struct pintest_page pages[2];
	struct pintest_info info = { .size = sizeof(info) };
	struct pintest_stats stats = { .size = sizeof(stats) };
	struct pintest_pin pin = {
		.size = sizeof(pin), .flags = PINTEST_PIN_WRITE,
		.addr = (uintptr_t)buf, .length = 2 * PAGE,
	};
	struct pintest_query query = {
		.size = sizeof(query), .entry_size = sizeof(pages[0]),
		.count = 2, .pages = (uintptr_t)pages,
	};
	struct pintest_probe probe = {
		.size = sizeof(probe), .entry_size = sizeof(pages[0]),
		.addr = (uintptr_t)buf, .length = 2 * PAGE, .pages = (uintptr_t)pages,
	};

	if (drop_to_nobody())
		return 10;
	if (ioctl(fd, PINTEST_IOC_INFO, &info) || kernel_pointer_in(&info, sizeof(info)))
		return 1;
	if (ioctl(fd, PINTEST_IOC_STATS, &stats) || kernel_pointer_in(&stats, sizeof(stats)))
		return 2;
	if (ioctl(fd, PINTEST_IOC_PIN, &pin))
		return 3;
	/* a handle is a small index, not an address */
	if (pin.out_handle == 0 || pin.out_handle > info.out_max_handles)
		return 4;
	query.handle = pin.out_handle;
	memset(pages, 0xa5, sizeof(pages));
	if (ioctl(fd, PINTEST_IOC_QUERY, &query) || kernel_pointer_in(pages, sizeof(pages)) ||
	    pages[0].pfn || pages[1].pfn || pages[0].zone > PINTEST_ZONE_OTHER)
		return 5;
	memset(pages, 0xa5, sizeof(pages));
	if (ioctl(fd, PINTEST_IOC_PROBE, &probe) || kernel_pointer_in(pages, sizeof(pages)) ||
	    pages[0].pfn || pages[1].pfn)
		return 6;
	return 0;
}

START_TEST(no_pfn_or_kernel_pointer_for_unprivileged)
{
	int fd = nobody_descriptor();

	ck_assert_int_eq(pt_in_child(look_for_kernel_data, &fd), 0);
	close(fd);
}
END_TEST

/*
 * The rights of whoever opened the descriptor decide, not the caller's:
 * root using a descriptor nobody opened sees no PFN, on its own memory.
 */
START_TEST(no_pfn_for_root_through_a_descriptor_nobody_opened)
{
	int fd = nobody_descriptor();
	char *buf = pt_anon(PAGE);
	struct pintest_page page;
	struct pintest_pin pin = {
		.size = sizeof(pin), .addr = (uintptr_t)buf, .length = PAGE,
	};
	struct pintest_query query = {
		.size = sizeof(query), .entry_size = sizeof(page), .count = 1,
		.pages = (uintptr_t)&page,
	};
	struct pintest_probe probe = {
		.size = sizeof(probe), .entry_size = sizeof(page),
		.addr = (uintptr_t)buf, .length = PAGE, .pages = (uintptr_t)&page,
	};
	struct pinctl *own = pt_open();
	struct pinctl_page mine;
	uint64_t h;

	ck_assert_int_eq(ioctl(fd, PINTEST_IOC_PIN, &pin), 0);
	query.handle = pin.out_handle;
	ck_assert_int_eq(ioctl(fd, PINTEST_IOC_QUERY, &query), 0);
	ck_assert(page.flags & PINTEST_PAGE_MAYBE_DMA_PINNED);
	ck_assert_uint_eq(page.pfn, 0);
	ck_assert_int_eq(ioctl(fd, PINTEST_IOC_PROBE, &probe), 0);
	ck_assert(page.flags & PINTEST_PAGE_PRESENT);
	ck_assert_uint_eq(page.pfn, 0);
	/* the same page through root's own descriptor */
	ck_assert_int_eq(pinctl_pin(own, buf, PAGE, 0, &h), 0);
	ck_assert_int_eq(pinctl_query(own, h, 0, 1, &mine), 0);
	ck_assert_uint_ne(mine.pfn, 0);
	pinctl_close(own);
	close(fd);
}
END_TEST

static int open_as(void *p)
{
	int in_group = *(int *)p;
	gid_t groups[1] = { pintest_gid };
	int fd;

	if (setgroups(in_group, groups) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	fd = open("/dev/pintest", O_RDWR);
	if (in_group)
		return fd >= 0 ? 0 : 1;
	return fd < 0 && errno == EACCES ? 0 : 2;
}

/* The mode and group udev/70-pintest.rules gives the node decide who opens it. */
START_TEST(device_mode_and_group_decide_who_opens)
{
	struct stat st0;
	int yes = 1, no = 0;
	char why[200] = "";

	node_for_group_pintest(&st0);
	/* nobody outside group pintest opens /dev/pintest; a member does */
	PT_EXPECT_EQ(pt_in_child(open_as, &no), 0, why, out);
	PT_EXPECT_EQ(pt_in_child(open_as, &yes), 0, why, out);
out:
	node_restore(&st0);
	ck_assert_msg(!why[0], "%s", why);
}
END_TEST

struct other {
	struct pinctl *ctx;
	char *addr;		/* the parent's page here holds 'P' */
	uint64_t handle;	/* the child's pin, out */
	int pipe[2];
};

/*
 * The child replaces the page at @addr with its own and pins it through
 * the descriptor it shares with the parent: what it pins is its page.
 */
static int pin_own_page(void *p)
{
	struct other *o = p;
	char got = 0;
	uint64_t h;

	if (mmap(o->addr, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != o->addr)
		return 10;
	memset(o->addr, 'C', PAGE);
	if (pinctl_pin(o->ctx, o->addr, PAGE, PINCTL_PIN_WRITE, &h))
		return 1;
	if (pinctl_dma_read(o->ctx, h, 0, &got, 1) || got != 'C')
		return 2;
	if (write(o->pipe[1], &h, sizeof(h)) != sizeof(h))
		return 3;
	return 0;	/* exits with the pin held in the shared table */
}

/*
 * A child maps a page of its own at @addr (over its copy of the parent's,
 * which the parent unmaps once it has forked), says so on @ready
 * and keeps it mapped until @done reaches EOF (or 60 s pass: a parent
 * that failed does not leave it behind).  No ck_assert here: it would
 * end the child as if it were the case (CK_FORK=no).
 */
static int map_and_wait(char *addr, int ready, int done)
{
	struct pollfd pfd = { .fd = done, .events = POLLIN };
	char *p = mmap(addr, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char c;

	if (p != addr)
		return 1;
	memset(p, 'C', PAGE);
	if (write(ready, "r", 1) != 1)
		return 2;
	if (poll(&pfd, 1, 60 * 1000) != 1 || read(done, &c, 1) != 0)
		return 3;
	return 0;
}

/*
 * An address that is mapped only in another process, while that process
 * maps it, is not ours to pin: PIN faults in the caller's mm only, and
 * there it is EFAULT.  Nothing is pinned, in the child or here.
 */
static void pin_what_only_a_child_maps(struct pinctl *ctx)
{
	char *addr = pt_anon(PAGE), c = 0;
	int ready[2], done[2], status, pinned = 1, free_here = 0, unmapped;
	unsigned char vec;
	struct pinctl_stats s0, s;
	uint64_t h;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	pt_stats(ctx, &s0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(ready[0]);
		close(done[1]);
		_exit(map_and_wait(addr, ready[1], done[0]));
	}
	/*
	 * unmapped here only now: unmapped before the fork, the hole took
	 * the next mapping made (malloc's, ASan's) and the child found its
	 * address taken
	 */
	unmapped = !munmap(addr, PAGE);
	close(ready[1]);
	close(done[0]);
	/* nothing may end the case before the child is released */
	if (read(ready[0], &c, 1) == 1) {
		free_here = mincore(addr, PAGE, &vec) == -1 && errno == ENOMEM;
		pinned = pinctl_pin(ctx, addr, PAGE, 0, &h);
	}
	close(done[1]);
	close(ready[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(c == 'r' && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the child could not map %p (status %#x)", addr, status);
	ck_assert_msg(unmapped, "munmap(%p) failed", addr);
	ck_assert_msg(free_here, "%p is mapped in the parent too", addr);
	ck_assert_int_eq(pinned, -EFAULT);
	pt_stats(ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
}

START_TEST(no_way_to_pin_another_process_memory)
{
	struct other o = { .ctx = pt_open() };
	struct pinctl_stats s;
	struct pinctl_page page;
	char got = 0;

	o.addr = pt_anon(PAGE);
	memset(o.addr, 'P', PAGE);
	ck_assert_int_eq(pipe(o.pipe), 0);
	ck_assert_int_eq(pt_in_child(pin_own_page, &o), 0);
	ck_assert_int_eq(read(o.pipe[0], &o.handle, sizeof(o.handle)), sizeof(o.handle));

	/* the child's pin holds the child's page, not the parent's */
	ck_assert_int_eq(pinctl_dma_read(o.ctx, o.handle, 0, &got, 1), 0);
	ck_assert_int_eq(got, 'C');
	ck_assert_int_eq(o.addr[0], 'P');
	ck_assert_int_eq(pinctl_probe(o.ctx, o.addr, PAGE, &page), 0);
	ck_assert_msg(!(page.flags & PINCTL_PAGE_MAYBE_DMA_PINNED),
		      "the parent's page is pinned by the child's request");

	pin_what_only_a_child_maps(o.ctx);

	pinctl_close(o.ctx);
	ck_assert_int_eq(pinctl_open(&o.ctx, NULL), 0);
	pt_stats(o.ctx, &s);
	ck_assert_uint_eq(s.live_pins, 0);
	pinctl_close(o.ctx);
	close(o.pipe[0]);
	close(o.pipe[1]);
}
END_TEST

/* A REMOTE pin of one page at @addr in the process @pid: 0 or -errno. */
static int pin_remote_of(struct pinctl *ctx, pid_t pid, void *addr)
{
	struct pinctl_pin_result res = { .sz = sizeof(res) };
	int ret;

	res.pidfd = util_pidfd_open(pid);
	if (res.pidfd < 0)
		return res.pidfd;
	ret = pinctl_pin2(ctx, addr, PAGE, PINCTL_PIN_REMOTE, &res);
	close(res.pidfd);
	if (!ret)
		ret = pinctl_unpin(ctx, res.handle, 0) ?: 0;
	return ret ? ret : 1;	/* 1: it pinned */
}

struct remote_targets {
	struct pinctl *ctx;
	pid_t root;		/* a root process */
	pid_t dropped;		/* root's child that became nobody: not dumpable */
	char *addr;		/* mapped in all of them (inherited) */
};

/* A child that waits for EOF on @done, after becoming nobody if @drop. */
static pid_t waiting_child(int done[2], int drop)
{
	pid_t pid = fork();
	char c;

	if (pid)
		return pid;
	close(done[1]);
	if (drop && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		     setresuid(NOBODY, NOBODY, NOBODY)))
		_exit(1);
	_exit(read(done[0], &c, 1) == 0 ? 0 : 2);
}

/*
 * As nobody: root's processes, even the one that is nobody now, cannot be
 * seized and cannot be pinned (EPERM); nobody's own child can be pinned
 * once nobody traces it, and only then.
 */
static int pin_others_as_nobody(void *p)
{
	struct remote_targets *t = p;
	int done[2];
	pid_t own;
	int ret = 0;

	if (drop_to_nobody() || prctl(PR_SET_DUMPABLE, 1) || pipe(done))
		return 10;
	if (pin_remote_of(t->ctx, t->root, t->addr) != -EPERM)
		return 1;
	if (ptrace(PTRACE_SEIZE, t->root, 0, 0) == 0 || errno != EPERM)
		return 2;
	if (pin_remote_of(t->ctx, t->dropped, t->addr) != -EPERM)
		return 3;
	if (ptrace(PTRACE_SEIZE, t->dropped, 0, 0) == 0 || errno != EPERM)
		return 4;
	own = waiting_child(done, 0);
	if (own < 0)
		return 11;
	close(done[0]);
	if (pin_remote_of(t->ctx, own, t->addr) != -EPERM)
		ret = 5;
	else if (ptrace(PTRACE_SEIZE, own, 0, 0))
		ret = 12;
	else if (pin_remote_of(t->ctx, own, t->addr) != 1)
		ret = 6;
	close(done[1]);
	waitpid(own, NULL, 0);
	return ret;
}

START_TEST(no_remote_pin_of_what_one_cannot_ptrace)
{
	struct remote_targets t = { .ctx = pt_open(), .root = getpid() };
	struct pinctl_stats s0, s;
	long vm0 = pt_vmpin_kb();
	int done[2], status;

	t.addr = pt_anon(PAGE);
	memset(t.addr, 'R', PAGE);
	pt_stats(t.ctx, &s0);
	ck_assert_int_eq(pipe(done), 0);
	t.dropped = waiting_child(done, 1);
	ck_assert_int_ge(t.dropped, 0);
	close(done[0]);
	status = pt_in_child(pin_others_as_nobody, &t);
	close(done[1]);
	ck_assert_int_eq(waitpid(t.dropped, NULL, 0), t.dropped);
	ck_assert_msg(status == 0, "as nobody: step %d failed", status);
	pt_stats(t.ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.total_pins, s0.total_pins + 1);	/* the own child's */
	ck_assert_int_eq(pt_vmpin_kb(), vm0);
	pinctl_close(t.ctx);
}
END_TEST

Suite *suite_security(struct pt_run *run)
{
	const char *nodev = pt_device_missing();
	const char *noroot = getuid() ? "needs root (setuid to nobody, chown)" : NULL;
	const char *noext4 = getenv("PINTEST_EXT4_DIR") ? NULL :
			     "PINTEST_EXT4_DIR is not set (run through vm/pintest-vm)";
	TCase *tc;
	Suite *s = pt_suite(run, "security", 60, &tc);

	PT_ADD(run, tc, ro_pin_of_root_file_cannot_write_it, nodev ?: noroot ?: noext4);
	PT_ADD(run, tc, no_pfn_or_kernel_pointer_for_unprivileged, nodev ?: noroot);
	PT_ADD(run, tc, no_pfn_for_root_through_a_descriptor_nobody_opened, nodev ?: noroot);
	PT_ADD(run, tc, device_mode_and_group_decide_who_opens, nodev ?: noroot);
	PT_ADD(run, tc, no_way_to_pin_another_process_memory, nodev);
	PT_ADD(run, tc, no_remote_pin_of_what_one_cannot_ptrace, nodev ?: noroot);
	return s;
}
