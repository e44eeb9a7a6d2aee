// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's raw requests: a request that would be valid, sent as it is
 * or mutated, through the shared descriptor, the swapped slot or the
 * worker's own; pointers the kernel may write through are made safe
 * first (see fuzz.c).  A forked child sends them too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pintest.h>

#include "fuzz_worker.h"
#include "util.h"

static const unsigned int cmds[] = {
	PINTEST_IOC_INFO, PINTEST_IOC_PIN, PINTEST_IOC_QUERY, PINTEST_IOC_PROBE,
	PINTEST_IOC_UNPIN, PINTEST_IOC_DMA, PINTEST_IOC_STATS,
	PINTEST_IOC_DMA_START, PINTEST_IOC_DMA_STOP, PINTEST_IOC_PIN_MEMFD,
	PINTEST_IOC_DEVICE_MAP, PINTEST_IOC_DEVICE_DMA, PINTEST_IOC_DEVICE_UNMAP,
};

static const size_t sizes[] = {
	sizeof(struct pintest_info), sizeof(struct pintest_pin),
	sizeof(struct pintest_query), sizeof(struct pintest_probe),
	sizeof(struct pintest_unpin), sizeof(struct pintest_dma),
	sizeof(struct pintest_stats), sizeof(struct pintest_dma_start),
	sizeof(struct pintest_dma_stop), sizeof(struct pintest_pin_memfd),
	sizeof(struct pintest_device_map), sizeof(struct pintest_device_dma),
	sizeof(struct pintest_device_unmap),
};

static uint32_t some_handle(struct worker *w)
{
	return fuzz_chance(w, 90) ? 1 + fuzz_below(w, 64) : (uint32_t)fuzz_next(&w->rng);
}

static uint64_t chaos_addr(struct worker *w)
{
	return (uintptr_t)w->chaos + fuzz_below(w, ARENA_PAGES) * PAGE;
}

/* A request that would be valid if its handle were; returns its size. */
static size_t valid_request(struct worker *w, int which, void *buf)
{
	uint64_t len = (1 + fuzz_below(w, 8)) * PAGE;

	memset(buf, 0, PAGE);
	switch (cmds[which]) {
	case PINTEST_IOC_PIN: {
		struct pintest_pin *c = buf;

		c->flags = (uint32_t)fuzz_below(w, 4) | (PINTEST_PIN_FAST << fuzz_below(w, 3));
		c->addr = chaos_addr(w);
		c->length = len;
		/* REMOTE: its own process, or a random descriptor or number */
		if (fuzz_chance(w, 25)) {
			c->flags = (c->flags & ~PINTEST_PIN_METHODS) | PINTEST_PIN_REMOTE;
			c->pidfd = fuzz_chance(w, 60) ? w->pidfd :
				   fuzz_chance(w, 80) ? (int32_t)fuzz_below(w, 64) :
				   (int32_t)fuzz_next(&w->rng);
		}
		break;
	}
	case PINTEST_IOC_QUERY: {
		struct pintest_query *c = buf;

		c->handle = some_handle(w);
		c->entry_size = sizeof(struct pintest_page);
		c->first = fuzz_below(w, 4);
		c->count = 1 + fuzz_below(w, 4);
		c->pages = (uintptr_t)w->sink;
		break;
	}
	case PINTEST_IOC_PROBE: {
		struct pintest_probe *c = buf;

		c->entry_size = sizeof(struct pintest_page);
		c->addr = chaos_addr(w);
		c->length = len;
		c->pages = (uintptr_t)w->sink;
		break;
	}
	case PINTEST_IOC_UNPIN: {
		struct pintest_unpin *c = buf;

		c->handle = some_handle(w);
		c->flags = (uint32_t)fuzz_below(w, 2);
		break;
	}
	case PINTEST_IOC_DMA: {
		struct pintest_dma *c = buf;

		c->handle = some_handle(w);
		c->op = 1 + fuzz_below(w, 4);
		c->offset = fuzz_below(w, 2 * PAGE);
		c->length = 1 + fuzz_below(w, 2 * PAGE);
		if (c->op == PINTEST_DMA_WRITE || c->op == PINTEST_DMA_READ)
			c->buf = (uintptr_t)w->sink;
		else
			c->seed = fuzz_next(&w->rng);
		break;
	}
	case PINTEST_IOC_DMA_START: {
		struct pintest_dma_start *c = buf;

		c->flags = (uint32_t)fuzz_below(w, 2);	/* the CPU, or the device */
		c->handle = some_handle(w);
		c->duration_ms = fuzz_below(w, 20);
		c->length = 1 + fuzz_below(w, PAGE);
		c->seed = fuzz_next(&w->rng);
		c->count = 1 + fuzz_below(w, 20);
		break;
	}
	case PINTEST_IOC_DMA_STOP: {
		struct pintest_dma_stop *c = buf;

		c->handle = some_handle(w);
		break;
	}
	case PINTEST_IOC_PIN_MEMFD: {
		struct pintest_pin_memfd *c = buf;

		c->flags = (uint32_t)fuzz_below(w, 4);
		c->fd = w->p->memfd;
		c->offset = fuzz_below(w, MEMFD_PAGES / 2) * PAGE;
		c->length = len;
		break;
	}
	case PINTEST_IOC_DEVICE_MAP: {
		struct pintest_device_map *c = buf;

		c->handle = some_handle(w);
		c->flags = 1 + (uint32_t)fuzz_below(w, 3);
		break;
	}
	case PINTEST_IOC_DEVICE_DMA: {
		struct pintest_device_dma *c = buf;

		c->id = 1 + (uint32_t)fuzz_below(w, 8);
		c->flags = (uint32_t)fuzz_below(w, 2);
		c->op = 1 + fuzz_below(w, 4);
		c->offset = fuzz_below(w, 2 * PAGE);
		c->length = 1 + fuzz_below(w, PAGE);
		if (c->op == PINTEST_DMA_WRITE || c->op == PINTEST_DMA_READ)
			c->buf = (uintptr_t)w->sink;
		else
			c->seed = fuzz_next(&w->rng);
		break;
	}
	case PINTEST_IOC_DEVICE_UNMAP: {
		struct pintest_device_unmap *c = buf;

		c->id = 1 + (uint32_t)fuzz_below(w, 8);
		break;
	}
	}
	*(uint32_t *)buf = sizes[which];
	return sizes[which];
}

static uint64_t interesting(struct worker *w)
{
	static const uint64_t v[] = {
		0, 1, 2, 31, 32, 33, 4095, 4096, 4097, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 1ULL << 47, 1ULL << 63, ~0ULL,
		~0ULL - 4095, 0xffff888000000000ULL,
	};

	return fuzz_chance(w, 80) ? v[fuzz_below(w, sizeof(v) / sizeof(v[0]))] : fuzz_next(&w->rng);
}

static void mutate(struct worker *w, uint8_t *buf, size_t size)
{
	int n = 1 + fuzz_below(w, 4);

	while (n--) {
		size_t at = fuzz_below(w, size + 8);

		switch (fuzz_below(w, 4)) {
		case 0:	/* a byte, maybe just past the struct */
			buf[at] = (uint8_t)fuzz_next(&w->rng);
			break;
		case 1:	/* a bit */
			buf[at] ^= 1 << fuzz_below(w, 8);
			break;
		case 2: { /* a 32-bit field */
			uint32_t v = (uint32_t)interesting(w);

			memcpy(buf + (at & ~3UL), &v, sizeof(v));
			break;
		}
		default: { /* a 64-bit field */
			uint64_t v = interesting(w);

			memcpy(buf + (at & ~7UL), &v, sizeof(v));
			break;
		}
		}
	}
	if (fuzz_chance(w, 15)) {	/* the size field itself */
		static const uint32_t s[] = { 0, 4, 8, 16, 24, 31, 4096, 0xffffffff };

		*(uint32_t *)buf = fuzz_chance(w, 50) ? s[fuzz_below(w, 8)] : size + 8 * fuzz_below(w, 3);
	}
}

/* User memory the kernel may write: in the sink with room, or faulting. */
static uint64_t safe_target(struct worker *w, uint64_t ptr, uint64_t bytes)
{
	uint64_t sink = (uintptr_t)w->sink, end = sink + SINK_PAGES * PAGE;

	if (ptr < 65536 || ptr >= 1ULL << 47)
		return ptr;	/* faults in the kernel, never here */
	if (ptr >= sink && ptr <= end && bytes <= end - ptr)
		return ptr;
	return (uintptr_t)w->guard;
}

static void make_safe(struct worker *w, unsigned int cmd, void *buf)
{
	switch (cmd) {
	case PINTEST_IOC_QUERY: {
		struct pintest_query *c = buf;
		uint64_t bytes = c->count * c->entry_size;

		if (c->entry_size && bytes / c->entry_size != c->count)
			bytes = ~0ULL;
		c->pages = safe_target(w, c->pages, bytes);
		break;
	}
	case PINTEST_IOC_PROBE: {
		struct pintest_probe *c = buf;
		uint64_t entries = c->length / PAGE + 1;

		c->pages = safe_target(w, c->pages, entries > MAX_PIN_PAGES ? ~0ULL :
					  entries * c->entry_size);
		break;
	}
	case PINTEST_IOC_DMA: {
		struct pintest_dma *c = buf;

		c->buf = safe_target(w, c->buf, c->length);
		break;
	}
	case PINTEST_IOC_DEVICE_DMA: {
		struct pintest_device_dma *c = buf;

		c->buf = safe_target(w, c->buf, c->length);
		break;
	}
	case PINTEST_IOC_PIN: {
		/* a later DMA into what this pins must land in the chaos arena */
		struct pintest_pin *c = buf;
		uint64_t lo = (uintptr_t)w->chaos, size = ARENA_PAGES * PAGE;

		if (c->addr < 65536 || c->addr >= 1ULL << 47)
			break;		/* nothing of ours is there */
		if (c->addr >= lo && c->addr - lo < size && c->length <= size - (c->addr - lo))
			break;
		c->addr = c->length <= size ? lo : (uintptr_t)w->guard;
		break;
	}
	}
}

static int pick_fd(struct worker *w)
{
	return fuzz_chance(w, 50) ? w->p->shared_fd : w->p->slot_fd;
}

void fuzz_op_raw(struct worker *w, int mutated)
{
	int which = fuzz_below(w, sizeof(cmds) / sizeof(cmds[0]));
	unsigned int cmd = cmds[which];
	size_t size = valid_request(w, which, w->scratch);
	void *arg = w->scratch;

	if (mutated) {
		mutate(w, (uint8_t *)w->scratch, size);
		if (fuzz_chance(w, 5))	/* another number of pintest's type */
			cmd = _IOC(fuzz_below(w, 4), PINTEST_TYPE, fuzz_below(w, 256), fuzz_below(w, 64));
		if (fuzz_chance(w, 5)) {
			static const uintptr_t bad[] = { 0, 4096, 0xffff888000000000UL };

			arg = fuzz_chance(w, 50) ? (void *)bad[fuzz_below(w, 3)] : w->guard;
		}
	}
	make_safe(w, cmd, w->scratch);
	fuzz_note(w, "raw ioctl", fuzz_raw(pick_fd(w), cmd, arg));
}

/* The slot's file is replaced under the other threads' requests. */
void fuzz_op_swap_slot(struct worker *w)
{
	struct proc *p = w->p;
	int fd;

	pthread_mutex_lock(&p->slot_lock);
	if (fuzz_chance(w, 50)) {
		dup2(p->null_fd, p->slot_fd);
	} else {
		fd = open("/dev/pintest", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fuzz_fail(w, "reopen of /dev/pintest", -errno);
		} else {
			dup2(fd, p->slot_fd);
			close(fd);
		}
	}
	pthread_mutex_unlock(&p->slot_lock);
}

/*
 * fork with the descriptors: the child sends raw requests through them
 * (its pins are charged to its own mm) and exits with whatever it holds.
 */
void fuzz_op_fork(struct worker *w)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fuzz_fail(w, "fork", -errno);
		return;
	}
	if (!pid) {
		w->rng ^= 0x5bd1e995;
		for (int i = 0; i < 32; i++)
			fuzz_op_raw(w, fuzz_chance(w, 50));
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fuzz_fail(w, "forked child", status);
}

