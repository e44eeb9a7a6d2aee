// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl fuzzer (see fuzz.h).  Each thread owns an arena of memory to
 * pin, a private pinctl context whose pins it checks exactly, and a
 * scratch page for raw requests; it shares with every thread of every
 * process one inherited descriptor, and with the threads of its process
 * a "slot" descriptor that is atomically swapped between /dev/pintest and
 * /dev/null (dup2), so requests race with the release of the file.
 *
 * Memory the kernel may write to (QUERY and PROBE entries, DMA reads) is
 * either a sink large enough for the request or a guard page: a fuzzed
 * pointer must never let the kernel scribble over the fuzzer itself.  For
 * the same reason raw requests pin only the chaos arena (or fault): a
 * random DMA through the shared descriptor must neither write into pages
 * whose contents a thread checks nor into the fuzzer's heap or stacks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "fuzz_worker.h"
#include "kmsg.h"
#include "procfs.h"
#include "util.h"

uint64_t fuzz_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return pintest_pattern(*state, 0);
}

uint64_t fuzz_below(struct worker *w, uint64_t n)
{
	return n ? fuzz_next(&w->rng) % n : 0;
}

int fuzz_chance(struct worker *w, int percent)
{
	return (int)fuzz_below(w, 100) < percent;
}

void fuzz_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * Counts a broken invariant, whether or not its line can be printed.
 * write(2) only: a forked child of a threaded process must not lock stdio.
 */
void fuzz_fail(struct worker *w, const char *what, int ret)
{
	const char *name = ret < 0 && ret > -160 ? strerrorname_np(-ret) : NULL;
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "fuzz: FAIL seed %llu proc %d thread %d op %llu: %s (%d %s)\n",
			 (unsigned long long)w->p->o->seed, w->p->index, w->index,
			 (unsigned long long)w->op, what, ret, name ?: "");

	fuzz_add(&w->p->tally->failures, 1);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;	/* truncated, without its newline */
	if (n > 0 && write(STDOUT_FILENO, line, n) < 0)
		return;			/* counted all the same */
}

/* Counts an answer; an undocumented errno is a failure. */
int fuzz_note(struct worker *w, const char *what, int ret)
{
	struct tally *t = w->p->tally;

	fuzz_add(&t->ops, 1);
	if (!ret)
		fuzz_add(&t->ok, 1);
	else if (-ret < (int)(sizeof(t->errnos) / sizeof(t->errnos[0])))
		fuzz_add(&t->errnos[-ret], 1);
	if (ret && !util_errno_documented(-ret))
		fuzz_fail(w, what, ret);
	return ret;
}

int fuzz_raw(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	while (util_now() < w->p->deadline) {
		unsigned int dice = fuzz_below(w, 1000);

		w->op++;
		if (dice < 300)
			fuzz_op_integrity(w);
		else if (dice < 400)
			fuzz_op_writer(w);
		else if (dice < 550)
			fuzz_op_raw(w, 0);
		else if (dice < 900)
			fuzz_op_raw(w, 1);
		else if (dice < 940)
			fuzz_op_remap(w);
		else if (dice < 960)
			fuzz_op_gup(w);
		else if (dice < 985)
			fuzz_op_swap_slot(w);
		else if (dice < 990)
			fuzz_op_handles(w);
		else if (dice < 993 && w->index == 0)
			fuzz_op_fork(w);
		else if (dice < 996)
			fuzz_release_kept(w);
	}
	fuzz_release_kept(w);
	return NULL;
}

static int worker_init(struct worker *w, struct proc *p, int index)
{
	struct pinctl_info info = { 0 };
	char *m;
	int ret;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->index = index;
	w->rng = p->o->seed ^ ((uint64_t)p->index << 32 | (uint64_t)index << 16);
	w->arena = p->checked + index * ARENA_PAGES * PAGE;
	w->chaos = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	m = mmap(NULL, (SINK_PAGES + 3) * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->chaos == MAP_FAILED || m == MAP_FAILED)
		return -ENOMEM;
	/* scratch | guard | sink (SINK_PAGES) | guard */
	w->scratch = m;
	w->guard = m + PAGE;
	w->sink = m + 2 * PAGE;
	mprotect(w->guard, PAGE, PROT_NONE);
	mprotect(w->sink + SINK_PAGES * PAGE, PAGE, PROT_NONE);
	ret = pinctl_open(&w->own, NULL);
	if (!ret)
		ret = pinctl_info(w->own, &info);
	w->longterm_methods = info.longterm_methods;
	w->pidfd = util_pidfd_open(getpid());
	return ret;
}

static void worker_fini(struct worker *w)
{
	pinctl_close(w->own);
	if (w->pidfd >= 0)
		close(w->pidfd);
	munmap(w->chaos, ARENA_PAGES * PAGE);
	munmap(w->scratch, (SINK_PAGES + 3) * PAGE);
}

/* Without CAP_IPC_LOCK and with a small RLIMIT_MEMLOCK, as a user is. */
static int become_unprivileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct rlimit lim = { MEMLOCK_PAGES * PAGE, MEMLOCK_PAGES * PAGE };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1U << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data) || setrlimit(RLIMIT_MEMLOCK, &lim))
		return -errno;
	return 0;
}

static void run_process(struct proc *p)
{
	int n = p->o->threads;
	struct worker *ws = calloc(n, sizeof(*ws));
	pthread_t *ts = calloc(n, sizeof(*ts));
	struct worker report = { .p = p };

	p->checked = mmap(NULL, n * ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!ws || !ts || p->checked == MAP_FAILED) {
		fuzz_fail(&report, "out of memory", -ENOMEM);
		return;
	}
	if (p->unprivileged && become_unprivileged())
		fuzz_fail(&report, "dropping CAP_IPC_LOCK", -errno);
	for (int i = 0; i < n; i++) {
		int ret = worker_init(&ws[i], p, i);

		if (ret || pthread_create(&ts[i], NULL, work, &ws[i])) {
			fuzz_fail(&report, "starting a thread", ret ?: -EAGAIN);
			n = i;
			break;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(ts[i], NULL);
		worker_fini(&ws[i]);
	}
	munmap(p->checked, p->o->threads * ARENA_PAGES * PAGE);
	free(ws);
	free(ts);
}

/* Progress on long runs, every 30 s until the deadline. */
static void *progress(void *arg)
{
	struct proc *p = arg;
	double start = util_now(), next_at = start + 30;

	while (util_now() < p->deadline) {
		usleep(200 * 1000);
		if (util_now() < next_at)
			continue;
		printf("fuzz: %llu requests, %llu broken invariants after %.0f s\n",
		       (unsigned long long)__atomic_load_n(&p->tally->ops, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->tally->failures, __ATOMIC_RELAXED),
		       util_now() - start);
		fflush(stdout);
		next_at += 30;
	}
	return NULL;
}

/* What must hold once every descriptor is closed. */
static void check_after(struct worker *rep, long vmpin0, long refcnt0)
{
	struct pinctl_stats s;
	struct pinctl *ctx;
	long v;

	if (pinctl_open(&ctx, NULL) || pinctl_stats(ctx, &s)) {
		fuzz_fail(rep, "STATS after the run", -EIO);
		return;
	}
	pinctl_close(ctx);
	if (s.live_pins || s.live_pages)
		fuzz_fail(rep, "pins left after every descriptor closed", (int)s.live_pins);
	v = procfs_vmpin_kb();
	if (v != vmpin0)
		fuzz_fail(rep, "VmPin not back to its baseline (kB now)", (int)v);
	v = procfs_read_long("/sys/module/pintest/refcnt");
	if (v != refcnt0)
		fuzz_fail(rep, "module references left (refcnt now)", (int)v);
}

int fuzz_run(const struct fuzz_opts *o, struct fuzz_result *res)
{
	long vmpin0 = procfs_vmpin_kb(), refcnt0 = procfs_read_long("/sys/module/pintest/refcnt");
	long max_pin0 = procfs_read_long(PARAM_DIR "max_pin_pages");
	long max_handles0 = procfs_read_long(PARAM_DIR "max_handles");
	struct tally *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct proc p = { .o = o };
	struct worker rep = { .p = &p };
	pthread_t progress_thread;
	pid_t pids[64];
	int nprocs = o->procs < 64 ? o->procs : 64, kmsg, status;

	if (t == MAP_FAILED)
		return -1;
	p.tally = t;
	kmsg = o->judge_kmsg ? kmsg_open() : 0;
	if (kmsg < 0 || refcnt0 < 0 || vmpin0 < 0)
		fuzz_fail(&rep, "/dev/kmsg, VmPin or the module's refcnt unreadable", kmsg);
	/* bound what a fuzzed request can pin, and make the handle limit reachable */
	if (procfs_write_long(PARAM_DIR "max_pin_pages", MAX_PIN_PAGES) ||
	    (o->max_handles && procfs_write_long(PARAM_DIR "max_handles", o->max_handles)))
		fuzz_fail(&rep, "setting the module parameters", -EPERM);

	p.shared_fd = open("/dev/pintest", O_RDWR);
	p.null_fd = open("/dev/null", O_RDWR);
	p.slot_fd = open("/dev/pintest", O_RDWR);
	p.memfd = memfd_create("pintest-fuzz", MFD_CLOEXEC);
	if (p.memfd < 0 || ftruncate(p.memfd, MEMFD_PAGES * PAGE))
		fuzz_fail(&rep, "a memfd for PIN_MEMFD", -errno);
	pthread_mutex_init(&p.slot_lock, NULL);
	p.deadline = util_now() + o->seconds;
	if (p.shared_fd < 0 || p.null_fd < 0 || p.slot_fd < 0) {
		fuzz_fail(&rep, "opening /dev/pintest", -errno);
	} else {
		for (int i = 1; i < nprocs; i++) {
			pids[i] = fork();
			if (!pids[i]) {
				p.index = i;
				p.unprivileged = i == 1;
				run_process(&p);
				_exit(0);
			}
		}
		pthread_create(&progress_thread, NULL, progress, &p);
		run_process(&p);
		pthread_join(progress_thread, NULL);
		for (int i = 1; i < nprocs; i++)
			if (pids[i] > 0 && (waitpid(pids[i], &status, 0) != pids[i] ||
					    !WIFEXITED(status) || WEXITSTATUS(status)))
				fuzz_fail(&rep, "a fuzzing process died", status);
	}
	close(p.shared_fd);
	close(p.slot_fd);
	close(p.null_fd);
	close(p.memfd);
	pthread_mutex_destroy(&p.slot_lock);

	check_after(&rep, vmpin0, refcnt0);
	if (o->judge_kmsg && kmsg >= 0) {
		if (kmsg_reports(kmsg, "fuzz"))
			fuzz_fail(&rep, "the kernel logged a report", -EIO);
		close(kmsg);
	}
	procfs_write_long(PARAM_DIR "max_pin_pages", max_pin0);
	procfs_write_long(PARAM_DIR "max_handles", max_handles0);

	memset(res, 0, sizeof(*res));
	res->ops = t->ops;
	res->ok = t->ok;
	memcpy(res->errnos, t->errnos, sizeof(res->errnos));
	res->failures = t->failures;
	munmap(t, sizeof(*t));
	return res->failures ? -1 : 0;
}

void fuzz_print(const struct fuzz_opts *o, const struct fuzz_result *r)
{
	printf("fuzz: seed %llu, %.0f s, %d processes x %d threads: %llu requests, %llu answered 0\n",
	       (unsigned long long)o->seed, o->seconds, o->procs, o->threads,
	       (unsigned long long)r->ops, (unsigned long long)r->ok);
	for (size_t e = 1; e < sizeof(r->errnos) / sizeof(r->errnos[0]); e++)
		if (r->errnos[e])
			printf("fuzz:   %-10s %llu\n", strerrorname_np(e) ?: "?",
			       (unsigned long long)r->errnos[e]);
	printf("fuzz: %llu broken invariants\n", (unsigned long long)r->failures);
}

