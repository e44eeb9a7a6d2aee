/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the ioctl fuzzer (fuzz.h): what its threads are and share, and
 * the operations they draw from.  fuzz.c runs processes of workers,
 * fuzz_pins.c holds the pins a worker checks exactly, fuzz_raw.c the raw
 * requests, valid-looking and mutated, and the descriptors they race on,
 * fuzz_gup.c the requests to pintest's gup_test interface.
 */
#ifndef FUZZ_WORKER_H
#define FUZZ_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "fuzz.h"
#include "pinctl.h"

#define ARENA_PAGES	64
#define SINK_PAGES	512
#define MEMFD_PAGES	16
#define KEEP		8
#define MAX_PIN_PAGES	256	/* module parameter for the run */
#define MEMLOCK_PAGES	64	/* RLIMIT_MEMLOCK of the unprivileged process */
#define PARAM_DIR	"/sys/module/pintest/parameters/"

/* Counters of all processes: MAP_SHARED, updated atomically. */
struct tally {
	uint64_t ops, ok, failures;
	uint64_t errnos[160];
};

struct proc {
	const struct fuzz_opts *o;
	struct tally *tally;
	int index;
	int unprivileged;	/* no CAP_IPC_LOCK, small RLIMIT_MEMLOCK */
	char *checked;		/* the threads' arenas, threads x ARENA_PAGES */
	int shared_fd;		/* inherited by every process */
	int slot_fd;		/* swapped between pintest and /dev/null */
	int null_fd;
	int memfd;		/* MEMFD_PAGES of memfd that PIN_MEMFD pins */
	double deadline;
	pthread_mutex_t slot_lock;	/* serialises swaps of slot_fd */
};

struct worker {
	struct proc *p;
	int index;
	uint64_t rng;
	uint64_t op;		/* sequence number, for failure reports */
	char *arena;		/* ARENA_PAGES pinned only on @own */
	char *chaos;		/* ARENA_PAGES raw requests pin */
	char *scratch;		/* one page, followed by guard */
	char *guard;		/* PROT_NONE */
	char *sink;		/* SINK_PAGES pages the kernel may write */
	struct pinctl *own;
	uint64_t kept[KEEP];
	int nkept;
	unsigned int writing;	/* bit i: kept[i] may have a writer running */
	unsigned int longterm_methods;	/* INFO: methods that take LONGTERM */
	int pidfd;		/* its process's, for REMOTE pins; -errno if none */
};


uint64_t fuzz_next(uint64_t *state);
uint64_t fuzz_below(struct worker *w, uint64_t n);
int fuzz_chance(struct worker *w, int percent);
void fuzz_add(uint64_t *counter, uint64_t n);
void fuzz_fail(struct worker *w, const char *what, int ret);
int fuzz_note(struct worker *w, const char *what, int ret);
int fuzz_raw(int fd, unsigned long req, void *arg);

/* fuzz_pins.c */
void fuzz_release_kept(struct worker *w);
void fuzz_op_integrity(struct worker *w);
void fuzz_op_writer(struct worker *w);
void fuzz_op_handles(struct worker *w);
void fuzz_op_remap(struct worker *w);

/* fuzz_raw.c */
void fuzz_op_raw(struct worker *w, int mutated);
void fuzz_op_swap_slot(struct worker *w);
void fuzz_op_fork(struct worker *w);

/* fuzz_gup.c */
void fuzz_op_gup(struct worker *w);

#endif /* FUZZ_WORKER_H */
