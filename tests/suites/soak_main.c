// SPDX-License-Identifier: GPL-2.0
/*
 * pintest-soak: the stress suite alone, for make soak.  It links neither
 * the other suites nor libkmod, so the process that forks in the fork
 * scenario carries no libcrypto: its mappings are what fork copies.
 */
#include "pt.h"

int main(int argc, char **argv)
{
	struct pt_run run = { 0 };

	return pt_main(argc, argv, srunner_create(suite_stress(&run)), &run);
}
