// SPDX-License-Identifier: GPL-2.0
/*
 * Threads sharing one descriptor race every ioctl against UNPIN of
 * handles they guess (the lowest free numbers, which PIN hands out
 * first).  A PIN must be done with its range before another thread can
 * release it, and every pin taken must be released exactly once: the
 * counters balance, nothing stays charged, and the kernel log (judged per
 * case) stays clean.  PINTEST_RACE_PINS sets the pins per pinning thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "util.h"

#define GUESSED_HANDLES 4

struct race {
	struct pinctl *ctx;
	char *buf;		/* a page for each pinning thread */
	long pins;		/* per pinning thread */
	atomic_int pinners_left;
	atomic_long unexpected;	/* answers none of the documented ones */
	atomic_long taken;	/* pins that succeeded */
	atomic_long released;	/* UNPINs that succeeded, by anyone */
};

struct racer {
	struct race *race;
	int index;
};

/* Counts @ret unless it is one of the answers the caller expects. */
static void expect(struct race *r, int ret, int ok1, int ok2, int ok3)
{
	if (ret != ok1 && ret != ok2 && ret != ok3)
		atomic_fetch_add(&r->unexpected, 1);
}

static void *pinner(void *p)
{
	struct racer *me = p;
	struct race *r = me->race;
	char *page = r->buf + me->index * util_page_size();
	uint64_t h;

	for (long i = 0; i < r->pins; i++) {
		int ret = pinctl_pin(r->ctx, page, util_page_size(),
				     PINCTL_PIN_WRITE, &h);

		expect(r, ret, 0, 0, 0);
		if (ret)
			continue;
		atomic_fetch_add(&r->taken, 1);
		/* the guessers' numbers stay the ones handed out next */
		if (h > GUESSED_HANDLES) {
			expect(r, pinctl_unpin(r->ctx, h, 0), 0, 0, 0);
			atomic_fetch_add(&r->released, 1);
		}
	}
	atomic_fetch_sub(&r->pinners_left, 1);
	return NULL;
}

/* UNPINs guessed handles while pins are being taken. */
static void *unpinner(void *p)
{
	struct race *r = ((struct racer *)p)->race;

	while (atomic_load(&r->pinners_left)) {
		for (uint64_t h = 1; h <= GUESSED_HANDLES; h++) {
			int ret = pinctl_unpin(r->ctx, h, 0);

			expect(r, ret, 0, -ENOENT, -ENOENT);
			if (!ret)
				atomic_fetch_add(&r->released, 1);
		}
	}
	return NULL;
}

/* Uses guessed handles: a DMA, a QUERY and a short writer each. */
static void *user(void *p)
{
	struct race *r = ((struct racer *)p)->race;
	struct pinctl_page page;

	while (atomic_load(&r->pinners_left)) {
		for (uint64_t h = 1; h <= GUESSED_HANDLES; h++) {
			expect(r, pinctl_dma_fill(r->ctx, h, 0, 64, h),
			       0, -ENOENT, -ENOENT);
			expect(r, pinctl_query(r->ctx, h, 0, 1, &page),
			       0, -ENOENT, -ENOENT);
			/* EBUSY: its last writer is still on the pin */
			expect(r, pinctl_dma_start(r->ctx, h, 0, 64, h, 1, 0),
			       0, -ENOENT, -EBUSY);
		}
	}
	return NULL;
}

START_TEST(pin_races_unpin_of_guessed_handles)
{
	enum { PINNERS = 2, UNPINNERS = 2, USERS = 1 };
	void *(*roles[])(void *) = { pinner, pinner, unpinner, unpinner, user };
	struct race r = { .ctx = pt_open() };
	struct racer racers[PINNERS + UNPINNERS + USERS];
	pthread_t threads[PINNERS + UNPINNERS + USERS];
	struct pinctl_stats s0, s;
	long taken, unpinned;

	r.pins = util_env_long("PINTEST_RACE_PINS", 20000);
	r.buf = pt_anon(PINNERS * util_page_size());
	atomic_store(&r.pinners_left, PINNERS);
	pt_stats(r.ctx, &s0);

	for (int i = 0; i < PINNERS + UNPINNERS + USERS; i++) {
		racers[i] = (struct racer){ .race = &r, .index = i };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, roles[i],
						&racers[i]), 0);
	}
	for (int i = 0; i < PINNERS + UNPINNERS + USERS; i++)
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);

	ck_assert_int_eq(atomic_load(&r.unexpected), 0);
	taken = atomic_load(&r.taken);
	ck_assert_int_eq(taken, PINNERS * r.pins);
	pt_stats(r.ctx, &s);
	/* what was not released is still live, and only that */
	ck_assert_uint_eq(s.total_pins - s0.total_pins, taken);
	unpinned = s.total_unpins - s0.total_unpins;
	ck_assert_int_eq(unpinned, atomic_load(&r.released));
	ck_assert_uint_eq(s.live_pins - s0.live_pins, taken - unpinned);

	pinctl_close(r.ctx);
	r.ctx = pt_open();
	pt_stats(r.ctx, &s);
	ck_assert_uint_eq(s.live_pins, s0.live_pins);
	ck_assert_uint_eq(s.total_unpins - s0.total_unpins, taken);
	ck_assert_int_eq(pt_vmpin_kb(), 0);
	pinctl_close(r.ctx);
}
END_TEST

Suite *suite_races(struct pt_run *run)
{
	TCase *tc;
	Suite *s = pt_suite(run, "races", 600, &tc);

	PT_ADD(run, tc, pin_races_unpin_of_guessed_handles, pt_device_missing());
	return s;
}
