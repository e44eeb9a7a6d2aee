/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBPINCTL_PRIVATE_H
#define LIBPINCTL_PRIVATE_H

/* Built with -fvisibility=hidden: only what is marked here is exported. */
#define PINCTL_EXPORT __attribute__((visibility("default")))

#endif /* LIBPINCTL_PRIVATE_H */
