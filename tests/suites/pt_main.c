// SPDX-License-Identifier: GPL-2.0
/*
 * pintest-tests: every suite (CK_RUN_SUITE picks one).
 *
 * pintest-tests --list runs nothing and needs no module: it prints the
 * cases this program registers here, in the order a run takes them, one
 * line each, "SUITE<TAB>CASE", CASE named as in the KTAP and JUnit
 * results ("test", "test(label)" or "test:i"); cases that a run would
 * skip are listed too.  A suite with no case to register here (the
 * kmsg-selftest one without PINTEST_KMSG_SELFTEST) has no line.
 */
#include "pt.h"

int main(int argc, char **argv)
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
	srunner_add_suite(sr, suite_reclaim(&run));
	srunner_add_suite(sr, suite_dio(&run));
	srunner_add_suite(sr, suite_memfd(&run));
	srunner_add_suite(sr, suite_device(&run));
	srunner_add_suite(sr, suite_counting(&run));
	srunner_add_suite(sr, suite_zone(&run));
	srunner_add_suite(sr, suite_guptest(&run));
	srunner_add_suite(sr, suite_special(&run));
	srunner_add_suite(sr, suite_fork(&run));
	srunner_add_suite(sr, suite_move(&run));
	srunner_add_suite(sr, suite_remote(&run));
	srunner_add_suite(sr, suite_stress(&run));
	srunner_add_suite(sr, suite_security(&run));
	srunner_add_suite(sr, suite_fuzz(&run));
	srunner_add_suite(sr, suite_integration(&run));
	srunner_add_suite(sr, suite_kmsg_selftest(&run));
	return pt_main(argc, argv, sr, &run);
}
