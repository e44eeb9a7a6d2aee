// SPDX-License-Identifier: GPL-2.0
/*
 * The memory a REMOTE pin takes: the mm of the process a pidfd names,
 * only where ptrace may write it.  The kernel's own check, mm_access()
 * with ptrace_may_access(), is not exported to modules; what a module
 * can ask is ptrace_access_vm()'s per-access rule (PTRACE_POKEDATA): the
 * caller is the process's tracer, whose PTRACE_ATTACH or PTRACE_SEIZE
 * passed ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) and the LSMs,
 * and the process is dumpable by its owner.  Its own mm is the caller's
 * to pin in any case.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "pintest.h"

/* Whether current may pin @task's @mm: it is its own, or ptrace's rule. */
static bool pintest_remote_allowed(struct task_struct *task,
				   struct mm_struct *mm)
{
	bool tracer;

	if (mm == current->mm)
		return true;
	rcu_read_lock();
	tracer = ptrace_parent(task) == current;
	rcu_read_unlock();
	return tracer && pintest_owner_dumpable(task, mm);
}

/*
 * The mm of the process @pidfd names, with a reference for mmput(), or
 * EBADF (not a pidfd), ESRCH (no process or no mm any more), EPERM (not
 * the caller's to pin) or EINTR.  Checked under the process's
 * exec_update_lock, as mm_access() does, so that the mm checked is the
 * one an exec has not replaced yet.
 */
struct mm_struct *pintest_remote_mm(int pidfd)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct file *file;
	struct pid *pid;
	int ret;

	file = fget(pidfd);
	if (!file)
		return ERR_PTR(-EBADF);
	pid = pintest_pidfd_pid(file);
	if (!pid) {
		ret = -EBADF;
		goto err_fput;
	}
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task) {
		ret = -ESRCH;
		goto err_fput;
	}
	ret = down_read_killable(&task->signal->exec_update_lock);
	if (ret)
		goto err_put_task;
	mm = get_task_mm(task);
	if (!mm) {
		ret = -ESRCH;
		goto err_unlock;
	}
	if (!pintest_remote_allowed(task, mm)) {
		ret = -EPERM;
		goto err_mmput;
	}
	up_read(&task->signal->exec_update_lock);
	put_task_struct(task);
	fput(file);
	return mm;

err_mmput:
	mmput(mm);
err_unlock:
	up_read(&task->signal->exec_update_lock);
err_put_task:
	put_task_struct(task);
err_fput:
	fput(file);
	return ERR_PTR(ret);
}
