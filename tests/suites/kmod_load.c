// SPDX-License-Identifier: GPL-2.0
/* Prints what pinctl_module_load(argv[1]) returns; run under fake_kmod.so. */
#include <stdio.h>

#include "pinctl.h"

int main(int argc, char **argv)
{
	printf("%d\n", pinctl_module_load(argc > 1 ? argv[1] : NULL));
	return 0;
}
