# SPDX-License-Identifier: GPL-2.0
#
# pintest top-level Makefile: the targets a user runs; it only delegates.
# make help lists them.  The parts that only make check and CI call
# (check-one, check-host, check-movable-vm, check-native-vm,
# check-deb-vm, check-kselftest-vm, dkms-install, abi-check) and the CI matrix
# (KERNELS, DEVICE_CONFIGS) are in .ci/parts.mk, included at the end.
#
# What builds only checks that its packages are there (scripts/deps
# --check: modules, lint, deb and the parts that build); what boots a
# kernel or builds one installs them first (deps: run, check and the
# other VM runs, debug-kernel).
#
# KERNEL picks the kernel the VM boots and the module is built for: 6.1
# (default), 6.12, 7.3, latest (the newest Debian serves: trixie-backports,
# sid or experimental; by hand, not in CI), debug or debug-7.3; 7.3-arm64
# and 7.3-arm64-16k (Debian's arm64 kernels, booted by qemu-system-aarch64;
# the guest's userspace is built in an arm64 tree, scripts/build-arm64).

KERNEL ?= 6.1
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
DEVICE_KERNELS :=
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

ARM64 := $(filter %-arm64 %-arm64-16k,$(KERNEL))
# the translating IOMMU the edu device sits behind: Intel's, or arm64's SMMUv3
IOMMU = $(if $(ARM64),smmuv3,intel)

all: modules lib tools $(if $(ARM64),userspace-arm64)

# the prerequisites of a target run in turn: deps before what it installs for
.NOTPARALLEL:

deps:
	@scripts/deps --kernel $(KERNEL)

deps-check:
	@scripts/deps --check --kernel $(KERNEL)

modules: deps-check
	@test -d "$(KDIR)" || { echo "no kernel build dir '$(KDIR)' (set KVER or KDIR)"; exit 1; }
	vm/kernels/in-tree $(KVER) $(MAKE) -C driver KDIR=$(KDIR) W=$(W) C=$(C)

# userspace alone needs no package manager: libkmod-dev and check (for
# tests) must be there; make deps installs them with everything else
lib:
	$(MAKE) -C libpinctl

tools: lib
	$(MAKE) -C tools

tests: lib $(if $(ARM64),userspace-arm64)
	$(MAKE) -C tests
	$(MAKE) -C bench

# what an arm64 guest runs, built natively in the arm64 tree
userspace-arm64: modules
	scripts/build-arm64 $(KVER)

SECONDS ?= 600
SEED ?= $(shell date +%s)

# with QEMU's edu device behind an IOMMU (IOMMU): the demo's real transfer
run: deps all tests
	vm/pintest-vm $(VM_ARGS) --device edu,iommu=$(IOMMU) -- tests/shell/run-demo

check: deps
	DEVICE_KERNELS="$(DEVICE_KERNELS)" scripts/check-kernels $(KERNELS)



# the running kernel of this machine, not a VM: root, a kernel that loads
# modules; it builds the module for it first where its headers are
check-native: lib tools tests
	scripts/check-native


# Debian packages (dpkg-buildpackage from debian/), lintian clean
deb: deps-check
	scripts/build-deb


# a kselftest-style package for KERNEL (run_kselftest.sh prints KTAP)
kselftest-install: all tests
	@test -n "$(INSTALL_PATH)" || { echo "kselftest-install: set INSTALL_PATH=DIR"; exit 1; }
	$(if $(ARM64),scripts/build-arm64 $(KVER) -C tests pintest-tests-plain,$(MAKE) -C tests pintest-tests-plain)
	scripts/kselftest-install $(INSTALL_PATH)

# pintest's LAVA job run as a lab's worker runs it (lava-run, no server):
# KERNEL's kselftest package on a QEMU device of lava-server's device type
# qemu, every KTAP case a LAVA result; LAVA_TESTS="-t pintest:SUITE ..."
# picks suites (default: all), LAVA_DEVICE=edu-iommu gives the device QEMU's
# edu behind Intel's vIOMMU (for the device suite)
check-lava: deps
	$(MAKE) kselftest-install INSTALL_PATH=$(CURDIR)/build/kselftest
	LAVA_DEVICE="$(LAVA_DEVICE)" scripts/check-lava $(KERNEL) $(LAVA_TESTS)


# The kernel's own GUP selftests (gup_test, gup_longterm, cow) of
# UPSTREAM's version (default KERNEL's), without and with pintest's
# gup_test, in ext4, xfs and tmpfs directories: a table, KTAP in
# build/results, and a failure for a case that fails only with pintest's
UPSTREAM ?= $(KERNEL)
UPSTREAM_FS ?= ext4 xfs tmpfs
check-upstream: deps all tests
	mkdir -p build/results
	dir=$$(vm/kernels/upstream-selftests $(UPSTREAM)) && \
	vm/vm-check $(VM_ARGS) --out build/results -- env UPSTREAM_FS="$(UPSTREAM_FS)" \
		tests/shell/upstream-run $$dir $(KERNEL)-upstream without with

# The differential check, on a kernel with its own gup_test (the debug
# kernel, CONFIG_GUP_TEST: KDIR=/lib/modules/RELEASE/build UPSTREAM=7.3):
# the same programs against the kernel's and pintest's; any verdict that
# differs fails, naming the case
check-upstream-diff: deps all tests
	mkdir -p build/results
	dir=$$(vm/kernels/upstream-selftests $(UPSTREAM)) && \
	vm/vm-check $(VM_ARGS) --out build/results -- env UPSTREAM_FS="$(UPSTREAM_FS)" \
		tests/shell/upstream-run $$dir $(KERNEL)-upstream-diff kernel pintest


check-device: deps all tests
	scripts/check-device $(KERNEL) "$(VM_ARGS)" $(DEVICE_CONFIGS)

# the debug kernel of KERNEL's series: debug (6.1) or debug-7.3; with
# FLAVOUR=kcsan, KCSAN in place of KASAN (kcsan, kcsan-7.3)
FLAVOUR ?= debug
DEBUG_KERNEL = $(if $(filter 7.3 debug-7.3,$(KERNEL)),debug-7.3,debug)

debug-kernel:
	@scripts/deps --kernel $(DEBUG_KERNEL)
	vm/kernels/debug-kernel --flavour $(FLAVOUR) $(if $(filter debug-7.3,$(DEBUG_KERNEL)),7.3)

# the debug kernel's tree as KDIR; KASAN wants more memory; the sweep
# runs after every suite passed
DEBUG_TREE = /lib/modules/$(shell vm/kernels/kver $(subst debug,$(FLAVOUR),$(DEBUG_KERNEL)))/build
check-debug: debug-kernel
	$(MAKE) check-one KDIR=$(DEBUG_TREE) MEM=3072
	vm/vm-check --kernel $(DEBUG_TREE) --mem 3072 -- tests/fault-sweep

deps-coverage:
	@scripts/deps --kernel debug
	@scripts/deps --kernel debug-7.3

# both debug kernels, each boot of scripts/coverage's table (a boot whose
# inputs have not changed is not booted again); fails below the floor
coverage: deps-coverage lib tools tests
	vm/kernels/debug-kernel
	vm/kernels/debug-kernel 7.3
	scripts/coverage

# Mutation testing (docs/mutants.md): every patch of MUTANTS (mutants/)
# or those ONLY names, on the lean 7.3 tree; hours by hand, cached per
# verdict, resumed where it stopped
MUTANTS ?= mutants
mutants:
	@scripts/deps --kernel debug-7.3
	MUTANTS=$(MUTANTS) ONLY="$(ONLY)" BASELINE="$(BASELINE)" scripts/mutants

bench: deps all tests
	IOMMU=$(IOMMU) bench/run-bench $(VM_ARGS) $(if $(ICOUNT),--icount)

fuzz: deps all tests
	vm/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 2 + 600 )) -- \
		tests/pintest-fuzz -s $(SECONDS) -S $(SEED)

soak: deps all tests
	vm/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 12 + 600 )) -- \
		env CK_RUN_SUITE=stress PINTEST_STRESS_SECONDS=$(SECONDS) \
		PINTEST_STRESS_ONLY="$(SCENARIOS)" \
		PINTEST_TESTS=tests/pintest-soak tests/shell/run-suites

# the reproducers of docs/findings.md in the VM: each finding's verdict on
# KERNEL; APPEND=ARGS adds to the kernel's command line (movablecore=512M
# for hugetlb-longterm-movable); FINDINGS=NAME... picks some
findings: deps all
	$(MAKE) -C findings
	vm/vm-check $(VM_ARGS) $(if $(APPEND),--append "$(APPEND)") -- findings/run $(FINDINGS)
.PHONY: findings

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


lint: deps-check
	vm/kernels/in-tree $(KVER) scripts/lint-driver $(KDIR)
	$(MAKE) -C man lint


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
	'  check-native       every suite on this machine'"'"'s running kernel (root)' \
	'  check-device       the device suite on the edu device for KERNEL, in each of DEVICE_CONFIGS' \
	'  soak               the stress suite only, SECONDS per scenario (SCENARIOS narrows it)' \
	'  fuzz               the ioctl fuzzer for SECONDS with SEED' \
	'  findings           the reproducers of docs/findings.md on KERNEL (APPEND=, FINDINGS=): SHOWN, NOT SHOWN or SKIP each' \
	'  bench              pin, unpin, DMA, QUERY and device costs; build/bench.log, build/bench.json, goals' \
	'  debug-kernel       build the debug kernel (KERNEL=7.3: 7.3'"'"'s) with KASAN (FLAVOUR=kcsan: KCSAN), lockdep, fault injection' \
	'  check-debug        every suite and the fault-injection sweep on the debug kernel (FLAVOUR=kcsan: the KCSAN one)' \
	'  coverage           driver coverage over both debug kernels and the device: build/coverage/ (floor 95%/85%)' \
	'  mutants            does pintest catch a broken kernel? each patch of MUTANTS (ONLY=, BASELINE=) against 7.3' \
	'  check-upstream     the kernel'"'"'s own GUP selftests of UPSTREAM, without and with pintest'"'"'s gup_test' \
	'  check-upstream-diff  the same selftests against the kernel'"'"'s gup_test and pintest'"'"'s' \
	'  kselftest-install  a kselftest-style package for KERNEL in INSTALL_PATH' \
	'  check-lava         the LAVA job (lava/): lava-run boots KERNEL on a QEMU device, its kselftest package' \
	'  lint               module W=1, sparse, checkpatch --strict, kernel-doc; man pages' \
	'  deb                Debian packages in build/deb, lintian clean' \
	'  install, uninstall module, library, headers, pkg-config file, pinctl, man pages, udev rule' \
	'  modules, lib, tools, tests  the parts alone (tests: the test programs and the benchmark)' \
	'  deps               install the Debian packages KERNEL needs (scripts/deps); deps-check only checks' \
	'  clean              remove what the build made (needs no kernel headers)' \
	'  help               this list' \
	'What make check and CI run part by part is in .ci/parts.mk: check-one, check-host,' \
	'  check-movable-vm, check-native-vm, check-deb-vm, check-kselftest-vm, dkms-install, abi-check (make check-one KERNEL=6.12 ...)' \
	'Variables: KERNEL (6.1; 6.12 7.3 7.3-arm64 7.3-arm64-16k latest debug debug-7.3), KERNELS (6.1 6.12 7.3 7.3-arm64-16k),' \
	'  DEVICE_KERNELS (7.3-arm64), DEB_SUITES,' \
	'  KVER (a release), KDIR (its build directory, or your own kernel tree), MEM, W, C, SECONDS (600), SEED (the time),' \
	'  SCENARIOS, ICOUNT, UPSTREAM, UPSTREAM_FS, DEVICE_CONFIGS, INSTALL_PATH, KSELFTEST_TESTS, LAVA_TESTS, LAVA_DEVICE, MUTANTS, ONLY,' \
	'  BASELINE, FLAVOUR, APPEND, FINDINGS, PREFIX (/usr/local), DESTDIR, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, DOCDIR, UDEVDIR'

.PHONY: all deps deps-check deps-coverage modules lib tools tests userspace-arm64 run check check-native kselftest-install deb \
	check-lava check-upstream check-upstream-diff check-device debug-kernel check-debug coverage mutants bench fuzz soak \
	install uninstall lint clean help

include .ci/parts.mk
