// SPDX-License-Identifier: GPL-2.0
/* pintest-tests: every suite (CK_RUN_SUITE picks one). */
#include "pt.h"

int main(void)
{
	struct pt_run run = { 0 };
	SRunner *sr;

	sr = srunner_create(suite_uapi(&run));
	srunner_add_suite(sr, suite_kmod(&run));
	srunner_add_suite(sr, suite_pin(&run));
	srunner_add_suite(sr, suite_errors(&run));
	srunner_add_suite(sr, suite_lifetime(&run));
	srunner_add_suite(sr, suite_races(&run));
	srunner_add_suite(sr, suite_interfaces(&run));
	srunner_add_suite(sr, suite_file(&run));
	srunner_add_suite(sr, suite_memfd(&run));
	srunner_add_suite(sr, suite_device(&run));
	srunner_add_suite(sr, suite_guptest(&run));
	srunner_add_suite(sr, suite_special(&run));
	srunner_add_suite(sr, suite_stress(&run));
	srunner_add_suite(sr, suite_security(&run));
	srunner_add_suite(sr, suite_fuzz(&run));
	srunner_add_suite(sr, suite_integration(&run));
	srunner_add_suite(sr, suite_kmsg_selftest(&run));
	return pt_run_all(sr, &run);
}
