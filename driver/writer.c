// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight writer: a device that keeps DMAing into a range while the
 * process does whatever it likes with the memory.  It is a work item on
 * pintest's own unbound workqueue that fills the span once per run (the
 * CPU device) or one transfer of it per run (the real one, at its pace)
 * and queues itself again until its pass count or deadline is reached.
 * Whoever stops it (STOP, or the range leaving its table) cancels it
 * synchronously, so once they return no pass is running and none will
 * start: the pages stay pinned for as long as the writer can touch them.
 */
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/workqueue.h>

#include "pintest.h"

static struct workqueue_struct *pintest_writer_wq;

static bool pintest_writer_done(const struct pintest_writer *w)
{
	if (w->count && w->passes >= w->count)
		return true;
	return time_after_eq(jiffies, w->deadline);
}

/* A pass's next transfer on the device; false once it cannot go on. */
static bool pintest_writer_device_step(struct pintest_range *range,
				       struct pintest_writer *w)
{
	u64 done;

	if (pintest_device_fill_step(range, w->offset + w->pos,
				     w->length - w->pos, w->seed, &done))
		return false;	/* unmapped, or the device broke */
	w->bytes += done;
	w->pos += done;
	if (w->pos == w->length) {
		w->pos = 0;
		w->passes++;
	}
	return true;
}

static void pintest_writer_work(struct work_struct *work)
{
	struct pintest_writer *w = container_of(work, struct pintest_writer,
						work);
	struct pintest_range *range = container_of(w, struct pintest_range,
						   writer);
	struct pintest_walk walk = {
		.op = PINTEST_DMA_FILL,
		.offset = w->offset,
		.length = w->length,
		.seed = w->seed,
	};
	bool more = true;

	if (w->device) {
		more = pintest_writer_device_step(range, w);
	} else {
		pintest_dma(range, &walk);
		w->passes++;
		w->bytes += w->length;
	}
	if (!more || pintest_writer_done(w)) {
		atomic_dec(w->nr_running);
		/* pairs with the acquire in START */
		smp_store_release(&w->running, false);
		return;
	}
	queue_work(pintest_writer_wq, work);
}

void pintest_writer_init(struct pintest_writer *w, atomic_t *nr_running)
{
	INIT_WORK(&w->work, pintest_writer_work);
	mutex_init(&w->lock);
	w->nr_running = nr_running;
}

/* Raises the running count unless it is at max_writers. */
static bool pintest_writer_claim(atomic_t *nr_running)
{
	return atomic_add_unless(nr_running, 1,
				 READ_ONCE(pintest_max_writers));
}

/*
 * DMA_START: EINVAL for flags or a zero length, ERANGE outside the range,
 * EPERM for a read-only range, EBUSY when it has a writer running, ENOENT
 * once it left its table, ENOSPC when the file has max_writers running;
 * on the device, ENODEV without one and EPERM without a mapping for its
 * writes.  A writer without count or duration stops after writer_max_ms.
 */
int pintest_writer_start(struct pintest_range *range,
			 const struct pintest_dma_start *cmd)
{
	struct pintest_writer *w = &range->writer;
	bool device = cmd->flags & PINTEST_DMA_START_DEVICE;
	unsigned int ms = cmd->duration_ms;
	int ret;

	if (cmd->flags & ~PINTEST_DMA_START_DEVICE || !cmd->length)
		return -EINVAL;
	ret = pintest_range_check_bytes(range, cmd->offset, cmd->length);
	if (ret)
		return ret;
	if (!range->writable)
		return -EPERM;
	/* a mapping unmapped after this check ends the writer at its start */
	ret = device ? pintest_device_can_write(range) : 0;
	if (ret)
		return ret;
	if (!ms && !cmd->count)
		ms = READ_ONCE(pintest_writer_max_ms);

	mutex_lock(&w->lock);
	if (w->dead) {
		ret = -ENOENT;
	} else if (smp_load_acquire(&w->running)) {	/* see the work's end */
		ret = -EBUSY;
	} else if (!pintest_writer_claim(w->nr_running)) {
		ret = -ENOSPC;
	} else {
		w->device = device;
		w->offset = cmd->offset;
		w->length = cmd->length;
		w->pos = 0;
		w->seed = cmd->seed;
		w->count = cmd->count;
		/* without a duration, a deadline the passes reach first */
		w->deadline = jiffies + (ms ? msecs_to_jiffies(ms) :
					 MAX_JIFFY_OFFSET);
		w->passes = 0;
		w->bytes = 0;
		w->running = true;
		queue_work(pintest_writer_wq, &w->work);
	}
	mutex_unlock(&w->lock);
	return ret;
}

/* Called with @w->lock held; returns with no pass running or queued. */
static void pintest_writer_cancel(struct pintest_writer *w)
{
	lockdep_assert_held(&w->lock);
	cancel_work_sync(&w->work);
	if (w->running) {
		w->running = false;
		atomic_dec(w->nr_running);
	}
}

/* DMA_STOP: what the last writer did; it no longer runs on return. */
void pintest_writer_stop(struct pintest_range *range, u64 *passes, u64 *bytes)
{
	struct pintest_writer *w = &range->writer;

	mutex_lock(&w->lock);
	pintest_writer_cancel(w);
	*passes = w->passes;
	*bytes = w->bytes;
	mutex_unlock(&w->lock);
}

/* The range leaves its table: no writer may run on it, or start, again. */
void pintest_writer_kill(struct pintest_range *range)
{
	struct pintest_writer *w = &range->writer;

	mutex_lock(&w->lock);
	w->dead = true;
	pintest_writer_cancel(w);
	mutex_unlock(&w->lock);
}

int pintest_writer_wq_init(void)
{
	pintest_writer_wq = alloc_workqueue("pintest_writer", WQ_UNBOUND, 0);
	return pintest_writer_wq ? 0 : -ENOMEM;
}

void pintest_writer_wq_exit(void)
{
	destroy_workqueue(pintest_writer_wq);
}
