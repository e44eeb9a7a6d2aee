// SPDX-License-Identifier: GPL-2.0
/*
 * The in-flight writer: a device that keeps DMAing into a pin while the
 * process does whatever it likes with the memory.  It is a work item on
 * the unbound workqueue that fills the range once per run and queues
 * itself again until its pass count or deadline is reached.  Whoever
 * stops it (STOP, or the release of the pin) cancels it synchronously, so
 * once they return no pass is running and none will start: the pages stay
 * pinned for as long as the writer can touch them.
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "pintest.h"

static bool writer_done(const struct dma_writer *w)
{
	if (w->count && w->passes >= w->count)
		return true;
	return w->deadline && time_after_eq(jiffies, w->deadline);
}

static void writer_work(struct work_struct *work)
{
	struct dma_writer *w = container_of(work, struct dma_writer, work);
	struct pinned_range *range = container_of(w, struct pinned_range,
						  writer);

	pintest_fill_range(range, w->offset, w->length, w->seed);
	w->passes++;
	w->bytes += w->length;
	if (writer_done(w)) {
		/* pairs with the acquire in START and STOP */
		smp_store_release(&w->running, false);
		return;
	}
	queue_work(system_unbound_wq, work);
}

void pintest_writer_init(struct pinned_range *range)
{
	INIT_WORK(&range->writer.work, writer_work);
	mutex_init(&range->writer.lock);
}

int pintest_writer_start(struct pintest_file *pf,
			 struct pintest_dma_start *cmd)
{
	struct pinned_range *range;
	struct dma_writer *w;
	int ret;

	if (cmd->flags || !cmd->length)
		return -EINVAL;
	range = pintest_range_get(pf, cmd->handle);
	if (!range)
		return -ENOENT;
	ret = pintest_check_span(range, cmd->offset, cmd->length);
	if (ret)
		goto out_put;
	if (!range->writable) {
		ret = -EPERM;
		goto out_put;
	}

	w = &range->writer;
	mutex_lock(&w->lock);
	if (w->dead) {
		ret = -ENOENT;
	} else if (smp_load_acquire(&w->running)) {	/* see writer_work() */
		ret = -EBUSY;
	} else {
		w->offset = cmd->offset;
		w->length = cmd->length;
		w->seed = cmd->seed;
		w->count = cmd->count;
		w->deadline = cmd->duration_ms ?
			      jiffies + msecs_to_jiffies(cmd->duration_ms) : 0;
		w->passes = 0;
		w->bytes = 0;
		w->running = true;
		queue_work(system_unbound_wq, &w->work);
	}
	mutex_unlock(&w->lock);
out_put:
	pintest_range_put(range);
	return ret;
}

/* Called with @w->lock held; returns with no pass running or queued. */
static void writer_cancel(struct dma_writer *w)
{
	cancel_work_sync(&w->work);
	w->running = false;
}

int pintest_writer_stop(struct pintest_file *pf, struct pintest_dma_stop *cmd)
{
	struct pinned_range *range;
	struct dma_writer *w;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	range = pintest_range_get(pf, cmd->handle);
	if (!range)
		return -ENOENT;
	w = &range->writer;
	mutex_lock(&w->lock);
	writer_cancel(w);
	cmd->out_passes = w->passes;
	cmd->out_bytes = w->bytes;
	mutex_unlock(&w->lock);
	pintest_range_put(range);
	return 0;
}

/* The pin leaves its table: no writer may run on it, or start, again. */
void pintest_writer_kill(struct pinned_range *range)
{
	struct dma_writer *w = &range->writer;

	mutex_lock(&w->lock);
	w->dead = true;
	writer_cancel(w);
	mutex_unlock(&w->lock);
}
