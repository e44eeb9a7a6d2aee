// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's exactly checked pins: each worker pins its own arena on
 * its private context and checks every answer, every byte the device
 * wrote and every handle, while the other workers throw raw requests.
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

#define CHECKED_PAGES	16	/* at most, in one checked pin */

void fuzz_release_kept(struct worker *w)
{
	w->writing = 0;
	while (w->nkept) {
		int ret = pinctl_unpin(w->own, w->kept[--w->nkept],
				       fuzz_chance(w, 50) ? PINCTL_UNPIN_DIRTY : 0);

		if (fuzz_note(w, "unpin kept", ret))
			fuzz_fail(w, "unpin of a kept pin", ret);
	}
}

static void fuzz_stop_writers(struct worker *w)
{
	for (int i = 0; i < w->nkept; i++) {
		int ret;

		if (!(w->writing & 1U << i))
			continue;
		ret = fuzz_note(w, "dma_stop", pinctl_dma_stop(w->own, w->kept[i], NULL, NULL));
		if (ret)
			fuzz_fail(w, "dma_stop on a held pin", ret);
	}
	w->writing = 0;
}

/*
 * Whether a page of the @n at arena page @first is in ZONE_MOVABLE or CMA
 * (arm64's Debian kernels reserve 64 MiB of it), or may be: a long-term
 * pin must migrate it out first, and cannot while another pin holds it
 * (the kernel answers ENOMEM, as move's
 * longterm_pin_of_a_pinned_movable_page asserts).
 */
static int any_must_migrate(struct worker *w, size_t first, size_t n)
{
	struct pinctl_page p[CHECKED_PAGES];

	if (pinctl_probe(w->own, w->arena + first * PAGE, n * PAGE, p))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].zone == PINCTL_ZONE_MOVABLE ||
		    p[i].flags & (PINCTL_PAGE_CMA | PINCTL_PAGE_CMA_UNKNOWN))
			return 1;
	return 0;
}

void fuzz_op_integrity(struct worker *w)
{
	static const unsigned int methods[] = {
		PINCTL_PIN_FAST, PINCTL_PIN_LOCKED, PINCTL_PIN_UNLOCKED,
		PINCTL_PIN_REMOTE,	/* its own memory, by its own pidfd */
	};
	size_t first = fuzz_below(w, ARENA_PAGES);
	size_t n = 1 + fuzz_below(w, ARENA_PAGES - first < CHECKED_PAGES ?
						  ARENA_PAGES - first : CHECKED_PAGES);
	unsigned int method = methods[fuzz_below(w, 4)];
	unsigned int flags = PINCTL_PIN_WRITE | method |
			     (fuzz_chance(w, 30) && method & w->longterm_methods ?
			      PINCTL_PIN_LONGTERM : 0);
	struct pinctl_pin_result res = { .sz = sizeof(res), .pidfd = w->pidfd };
	uint64_t h, seed = fuzz_next(&w->rng), bad = 0, where;
	struct pinctl_page page;
	int ret;

	fuzz_stop_writers(w);	/* they write into pages this pin may share */
	ret = fuzz_note(w, "pin", pinctl_pin2(w->own, w->arena + first * PAGE,
					 n * PAGE, flags, &res));
	h = res.handle;
	if (ret == -ENOMEM && w->p->unprivileged) {
		fuzz_release_kept(w);	/* the memlock limit, as it should */
		return;
	}
	if (ret == -ENOMEM && flags & PINCTL_PIN_LONGTERM && any_must_migrate(w, first, n))
		return;		/* a pinned page of ZONE_MOVABLE or CMA cannot migrate */
	if (ret) {
		fuzz_fail(w, "pin of a valid range", ret);
		return;
	}
	ret = fuzz_note(w, "fill", pinctl_dma_fill(w->own, h, 0, n * PAGE, seed));
	if (!ret)
		ret = fuzz_note(w, "compare", pinctl_dma_compare(w->own, h, 0, n * PAGE,
							    seed, &bad, &where));
	if (ret || bad)
		fuzz_fail(w, bad ? "DMA pattern mismatch" : "fill/verify of a valid pin",
		     ret ?: -(int)bad);
	ret = fuzz_note(w, "query", pinctl_query(w->own, h, fuzz_below(w, n), 1, &page));
	if (ret || (page.flags & (PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED)) !=
		   (PINCTL_PAGE_PRESENT | PINCTL_PAGE_MAYBE_DMA_PINNED))
		fuzz_fail(w, "query of a held pin", ret ?: (int)page.flags);

	if (w->nkept < KEEP && fuzz_chance(w, 60)) {
		w->kept[w->nkept++] = h;
		return;
	}
	ret = fuzz_note(w, "unpin", pinctl_unpin(w->own, h, fuzz_chance(w, 50) ? PINCTL_UNPIN_DIRTY : 0));
	if (ret)
		fuzz_fail(w, "unpin of a held pin", ret);
}

/* A writer on a kept pin; stopped now, later, or by the unpin. */
void fuzz_op_writer(struct worker *w)
{
	uint64_t h, passes;
	int i, ret;

	if (!w->nkept)
		return;
	i = fuzz_below(w, w->nkept);
	h = w->kept[i];
	w->writing |= 1U << i;
	ret = fuzz_note(w, "dma_start", pinctl_dma_start(w->own, h, 0, PAGE,
						    fuzz_next(&w->rng), 1 + fuzz_below(w, 50),
						    (uint32_t)fuzz_below(w, 20)));
	if (ret && ret != -EBUSY)
		fuzz_fail(w, "dma_start on a held writable pin", ret);
	if (fuzz_chance(w, 50)) {
		ret = fuzz_note(w, "dma_stop", pinctl_dma_stop(w->own, h, &passes, NULL));
		if (ret)
			fuzz_fail(w, "dma_stop on a held pin", ret);
	}
}

/* Every handle of the private context, until ENOSPC: exactly max_handles. */
void fuzz_op_handles(struct worker *w)
{
	int limit = w->p->o->max_handles, got = w->nkept, ret = 0;
	uint64_t *hs;

	if (!limit || w->p->unprivileged)
		return;
	hs = calloc(limit + 1, sizeof(*hs));
	if (!hs)
		return;
	while (got <= limit) {
		ret = fuzz_note(w, "pin to the limit",
			   pinctl_pin(w->own, w->arena + fuzz_below(w, ARENA_PAGES) * PAGE,
				      PAGE, 0, &hs[got]));
		if (ret)
			break;
		got++;
	}
	if (ret != -ENOSPC || got != limit)
		fuzz_fail(w, "handles per descriptor do not stop at max_handles", got);
	while (got > w->nkept) {
		ret = fuzz_note(w, "unpin", pinctl_unpin(w->own, hs[--got], 0));
		if (ret)
			fuzz_fail(w, "unpin of a held pin", ret);
	}
	free(hs);
}

/* munmap-and-remap, PROT_NONE or MADV_DONTNEED part of an arena. */
void fuzz_op_remap(struct worker *w)
{
	size_t first = fuzz_below(w, ARENA_PAGES), n = 1 + fuzz_below(w, ARENA_PAGES - first);
	char *at = (fuzz_chance(w, 50) ? w->arena : w->chaos) + first * PAGE;
	uint64_t h;
	int ret;

	switch (fuzz_below(w, 3)) {
	case 0:
		if (mmap(at, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			fuzz_fail(w, "remap of the arena", -errno);
		break;
	case 1:
		mprotect(at, n * PAGE, PROT_NONE);
		ret = fuzz_note(w, "pin PROT_NONE", pinctl_pin(w->own, at, n * PAGE, 0, &h));
		if (ret != -EFAULT && !(ret == -ENOMEM && w->p->unprivileged)) {
			fuzz_fail(w, "pin of PROT_NONE memory", ret);
			if (!ret)
				pinctl_unpin(w->own, h, 0);
		}
		mprotect(at, n * PAGE, PROT_READ | PROT_WRITE);
		break;
	default:
		madvise(at, n * PAGE, MADV_DONTNEED);
		break;
	}
}

