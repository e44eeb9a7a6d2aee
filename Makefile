# SPDX-License-Identifier: GPL-2.0
#
# pintest top-level Makefile: it only delegates.
#
#   make            build the module (for the VM's Debian kernel), the
#                   library and the tools
#   make run        boot the VM, pin/query/DMA/release real memory (a real
#                   PCI device's transfer included), run the stress
#                   scenarios, show their table and the module's stats
#   make check      every test suite in the VM, on each kernel of KERNELS
#                   (Debian 6.1, 6.12 from bookworm-backports and 7.3 from
#                   trixie-backports, built in a trixie tree: vm/kernels/in-tree)
#   make check-one  the same on KERNEL only
#   make check-host the suite that runs on the host (module loading, faked)
#   make check-native  every suite on this machine's running kernel (root;
#                   loop-mounted ext4 and xfs; settings put back after)
#   make deb        Debian packages in build/deb: pintest-dkms, libpinctl1,
#                   libpinctl-dev, pinctl (lintian: no error, no warning)
#   make kselftest-install INSTALL_PATH=DIR  a kselftest-style package for
#                   KERNEL: run_kselftest.sh, the suites, the module; KTAP
#   make check-upstream  the kernel's own GUP selftests of KERNEL's version,
#                   without and with pintest's /sys/kernel/debug/gup_test;
#                   check-upstream-diff compares it with the kernel's own
#   make check-device  the device suite on QEMU's edu PCI device for KERNEL,
#                   in DEVICE_CONFIGS: behind Intel's vIOMMU, direct (64-bit
#                   mask), through swiotlb (32-bit mask); part of make check
#   make soak       the stress suite only, SECONDS (default 600) per scenario,
#                   uninstrumented (tests/pintest-soak); SCENARIOS="fork ..."
#                   runs only those
#   make fuzz       the ioctl fuzzer for SECONDS with SEED (default: the time)
#   make bench      pin/unpin/DMA/QUERY costs in one boot (ICOUNT=1: counted
#                   instructions on one CPU); table, build/bench.json, goals
#   make debug-kernel  build Debian's 6.1 (KERNEL=7.3: 7.3, in the trixie
#                   tree) with KASAN, lockdep, DEBUG_VM, fault injection and
#                   GUP_TEST (about 12 minutes for 6.1, 35 for 7.3; cached)
#   make check-debug   every suite and the fault-injection sweep on it
#   make coverage   the same with the module built for gcov: an lcov report in
#                   build/coverage/html and "driver: N% lines, M% branches"
#   make modules    KVER=<release> or KDIR=<build dir>, W=1, C=1 as in kbuild
#   make check KDIR=TREE  (and run, soak, fuzz, bench) on your own built
#                   kernel tree: its bzImage, its modules staged in build/kdir
#   make lint       module W=1, sparse, checkpatch --strict and kernel-doc clean
#   make abi-check  libpinctl.so.1 still compatible with the last release (abidiff)
#   make install    module (+ depmod), library, header, pkg-config file,
#                   pinctl, man pages, udev rule; DESTDIR, PREFIX, UDEVDIR
#   make dkms-install  register, build and install the module with DKMS for
#                   every kernel in KERNELS
#   make clean      works without kernel headers
#
# KERNEL picks the kernel the VM boots and the module is built for: 6.1
# (default), 6.12, 7.3, latest (the newest Debian serves: trixie-backports,
# sid or experimental; by hand, not in CI), debug or debug-7.3.

KERNEL ?= 6.1
KERNELS ?= 6.1 6.12 7.3
KVER ?= $(shell vm/kernels/kver $(KERNEL) 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
VM_ARGS = --kernel $(KERNEL) $(if $(MEM),--mem $(MEM))

# KDIR=TREE given: a kernel tree of your own, configured with
# vm/kernels/pintest.config and built.  The module builds against it and the
# VM boots its bzImage with its modules (vm/kernels/kdir stages them); check,
# run, soak, fuzz and bench run on it alone, as KERNEL tree-RELEASE.
ifeq ($(origin KDIR),command line)
KVER := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
KERNEL := tree-$(KVER)
KERNELS := $(KERNEL)
VM_ARGS = --kernel $(KDIR) $(if $(MEM),--mem $(MEM))
endif

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/pintest
UDEVDIR ?= /lib/udev
export PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR DOCDIR UDEVDIR DESTDIR

all: modules lib tools

deps:
	@scripts/deps --kernel $(KERNEL)

modules: deps
	@test -d "$(KDIR)" || { echo "no kernel build dir '$(KDIR)' (set KVER or KDIR)"; exit 1; }
	vm/kernels/in-tree $(KVER) $(MAKE) -C driver KDIR=$(KDIR) W=$(W) C=$(C)

# userspace alone needs no package manager: libkmod-dev and check (for
# tests) must be there; make deps installs them with everything else
lib:
	$(MAKE) -C libpinctl

tools: lib
	$(MAKE) -C tools

tests: lib
	$(MAKE) -C tests
	$(MAKE) -C bench

SECONDS ?= 600
SEED ?= $(shell date +%s)

# with QEMU's edu device behind Intel's vIOMMU: the demo's real transfer
run: deps all tests
	vm/pintest-vm $(VM_ARGS) --device edu,iommu=intel -- tests/shell/run-demo

check: deps
	scripts/check-kernels $(KERNELS)

# libpinctl's module loading against a fake loader: needs no VM
check-host: lib tests
	mkdir -p build/results
	CK_RUN_SUITE=kmod PINTEST_OUT=build/results PINTEST_RESULTS_NAME=host tests/shell/run-suites

check-one: all tests
	tests/install/install-check
	tests/shell/harness-selftest $(VM_ARGS)
	vm/vm-check $(VM_ARGS) --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL) tests/shell/run-suites

# the running kernel of this machine, not a VM: root, a kernel that loads
# modules; it builds the module for it first where its headers are
check-native: lib tools tests
	scripts/check-native

# how CI proves check-native: as the command of a VM booted bare
check-native-vm: all tests
	vm/vm-check $(VM_ARGS) --bare --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL)-native $(MAKE) --no-print-directory check-native

# Debian packages (dpkg-buildpackage from debian/), lintian clean
deb: deps
	scripts/build-deb

# how CI tests them: installed with dpkg in a bare VM, DKMS building the
# module there, then make check-native against it
check-deb-vm: deb all tests
	vm/vm-check $(VM_ARGS) --bare --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL)-deb tests/install/deb-check

# a kselftest-style package for KERNEL (run_kselftest.sh prints KTAP)
kselftest-install: all tests
	@test -n "$(INSTALL_PATH)" || { echo "kselftest-install: set INSTALL_PATH=DIR"; exit 1; }
	$(MAKE) -C tests pintest-tests-plain
	scripts/kselftest-install $(INSTALL_PATH)

# how CI runs it: copied out of the repository into a bare VM;
# KSELFTEST_TESTS="-t pintest:SUITE ..." picks suites (default: all)
check-kselftest-vm:
	$(MAKE) kselftest-install INSTALL_PATH=$(CURDIR)/build/kselftest
	vm/vm-check $(VM_ARGS) --bare --out build/results -- sh -c \
		'cp -a build/kselftest /tmp/kselftest && cd / && \
		 /tmp/kselftest/run_kselftest.sh $(KSELFTEST_TESTS) > "$$PINTEST_OUT/$(KERNEL)-kselftest.ktap"'

# The kernel's own GUP selftests (gup_test, gup_longterm, cow) of
# UPSTREAM's version (default KERNEL's), without and with pintest's
# gup_test, in ext4, xfs and tmpfs directories: a table, KTAP in
# build/results, and a failure for a case that fails only with pintest's
UPSTREAM ?= $(KERNEL)
UPSTREAM_FS ?= ext4 xfs tmpfs
check-upstream: all tests
	mkdir -p build/results
	dir=$$(vm/kernels/upstream-selftests $(UPSTREAM)) && \
	vm/vm-check $(VM_ARGS) --out build/results -- env UPSTREAM_FS="$(UPSTREAM_FS)" \
		tests/shell/upstream-run $$dir $(KERNEL)-upstream without with

# The differential check, on a kernel with its own gup_test (the debug
# kernel, CONFIG_GUP_TEST: KDIR=/lib/modules/RELEASE/build UPSTREAM=7.3):
# the same programs against the kernel's and pintest's; any verdict that
# differs fails, naming the case
check-upstream-diff: all tests
	mkdir -p build/results
	dir=$$(vm/kernels/upstream-selftests $(UPSTREAM)) && \
	vm/vm-check $(VM_ARGS) --out build/results -- env UPSTREAM_FS="$(UPSTREAM_FS)" \
		tests/shell/upstream-run $$dir $(KERNEL)-upstream-diff kernel pintest

# vm/pintest-vm --device: a translating IOMMU, direct, swiotlb bounce
DEVICE_CONFIGS ?= edu,iommu=intel edu,dma_mask=64 edu,dma_mask=32

check-device: all tests
	scripts/check-device $(KERNEL) "$(VM_ARGS)" $(DEVICE_CONFIGS)

# the debug kernel of KERNEL's series: debug (6.1) or debug-7.3
DEBUG_KERNEL = $(if $(filter 7.3 debug-7.3,$(KERNEL)),debug-7.3,debug)

debug-kernel:
	@scripts/deps --kernel $(DEBUG_KERNEL)
	vm/kernels/debug-kernel $(if $(filter debug-7.3,$(DEBUG_KERNEL)),7.3)

# the debug kernel's tree as KDIR; KASAN wants more memory; the sweep
# runs after every suite passed
DEBUG_TREE = /lib/modules/$(shell vm/kernels/kver $(DEBUG_KERNEL))/build
check-debug: debug-kernel
	$(MAKE) check-one KDIR=$(DEBUG_TREE) MEM=3072
	vm/vm-check --kernel $(DEBUG_TREE) --mem 3072 -- tests/fault-sweep

coverage: debug-kernel lib tools tests
	scripts/coverage

bench: all tests
	bench/run-bench $(VM_ARGS) $(if $(ICOUNT),--icount)

fuzz: all tests
	vm/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 2 + 600 )) -- \
		tests/pintest-fuzz -s $(SECONDS) -S $(SEED)

soak: all tests
	vm/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 12 + 600 )) -- \
		env CK_RUN_SUITE=stress PINTEST_STRESS_SECONDS=$(SECONDS) \
		PINTEST_STRESS_ONLY="$(SCENARIOS)" \
		PINTEST_TESTS=tests/pintest-soak tests/shell/run-suites

install: all
	vm/kernels/in-tree $(KVER) $(MAKE) -C driver install KVER=$(KVER)
	$(MAKE) -C libpinctl install
	$(MAKE) -C tools install
	$(MAKE) -C man install
	install -D -m 0644 udev/70-pintest.rules $(DESTDIR)$(UDEVDIR)/rules.d/70-pintest.rules
	install -D -m 0644 udev/modules-load.d/pintest.conf \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.d/pintest.conf

uninstall:
	$(MAKE) -C driver uninstall KVER=$(KVER)
	$(MAKE) -C libpinctl uninstall
	$(MAKE) -C tools uninstall
	$(MAKE) -C man uninstall
	rm -f $(DESTDIR)$(UDEVDIR)/rules.d/70-pintest.rules
	rm -rf $(DESTDIR)$(DOCDIR)

dkms-install:
	for k in $(KERNELS); do scripts/deps --kernel $$k || exit 1; done
	scripts/dkms-install $(foreach k,$(KERNELS),$$(vm/kernels/kver $(k)))

lint: deps
	vm/kernels/in-tree $(KVER) scripts/lint-driver $(KDIR)
	$(MAKE) -C man lint

abi-check: deps
	scripts/check-abi

clean:
	$(MAKE) -C driver clean
	$(MAKE) -C libpinctl clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	$(MAKE) -C bench clean

help:
	@printf '%s\n' \
	'make [TARGET] [VARIABLE=value ...]; docs/ has the details' \
	'  all (default)      the module for KERNEL, libpinctl, pinctl' \
	'  run                the demo in the VM: pin, query, DMA (CPU and edu device), stress table, counters' \
	'  check              every suite on each of KERNELS, device suites, packages, kselftest package, results' \
	'  check-one          every suite in the VM on KERNEL only' \
	'  check-host         the suite that needs no VM (module loading against a fake loader)' \
	'  check-device       the device suite on the edu device for KERNEL, in each of DEVICE_CONFIGS' \
	'  check-native       every suite on this machine'"'"'s running kernel (root)' \
	'  check-native-vm    check-native in a bare VM, as CI proves it' \
	'  check-deb-vm       the Debian packages installed in a bare VM, then check-native' \
	'  check-kselftest-vm the kselftest package run in a bare VM (KSELFTEST_TESTS picks suites)' \
	'  kselftest-install  a kselftest-style package for KERNEL in INSTALL_PATH' \
	'  check-upstream     the kernel'"'"'s own GUP selftests of UPSTREAM, without and with pintest'"'"'s gup_test' \
	'  check-upstream-diff  the same selftests against the kernel'"'"'s gup_test and pintest'"'"'s' \
	'  soak               the stress suite only, SECONDS per scenario (SCENARIOS narrows it)' \
	'  fuzz               the ioctl fuzzer for SECONDS with SEED' \
	'  bench              pin, unpin, DMA, QUERY and device costs; build/bench.log, build/bench.json, goals' \
	'  debug-kernel       build the debug kernel (KERNEL=7.3: 7.3'"'"'s) with KASAN, lockdep, fault injection' \
	'  check-debug        every suite and the fault-injection sweep on the debug kernel' \
	'  coverage           the same with the module built for gcov: build/coverage/' \
	'  lint               module W=1, sparse, checkpatch --strict, kernel-doc; man pages' \
	'  abi-check          libpinctl.so.1 still compatible with its last release (abidiff)' \
	'  deb                Debian packages in build/deb, lintian clean' \
	'  install, uninstall module, library, headers, pkg-config file, pinctl, man pages, udev rule' \
	'  dkms-install       register, build and install the module with DKMS for each of KERNELS' \
	'  modules, lib, tools, tests  the parts alone' \
	'  deps               install the Debian packages KERNEL needs (scripts/deps)' \
	'  clean              remove what the build made (needs no kernel headers)' \
	'  help               this list' \
	'Variables: KERNEL (6.1; 6.12 7.3 latest debug debug-7.3), KERNELS (6.1 6.12 7.3),' \
	'  KVER (a release), KDIR (its build directory, or your own kernel tree), MEM, W, C, SECONDS (600), SEED (the time),' \
	'  SCENARIOS, ICOUNT, UPSTREAM, UPSTREAM_FS, DEVICE_CONFIGS, INSTALL_PATH, KSELFTEST_TESTS,' \
	'  PREFIX (/usr/local), DESTDIR, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, DOCDIR, UDEVDIR'

.PHONY: all deps modules lib tools tests run check check-host check-one check-native check-native-vm kselftest-install check-kselftest-vm deb check-deb-vm check-upstream check-upstream-diff check-device debug-kernel check-debug \
	coverage bench fuzz soak install uninstall dkms-install lint abi-check clean help
