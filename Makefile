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
#                   trixie-backports, built in a trixie tree: scripts/in-tree)
#   make check-one  the same on KERNEL only
#   make check-host the suite that runs on the host (module loading, faked)
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
KVER ?= $(shell scripts/kver $(KERNEL) 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
VM_ARGS := --kernel $(KERNEL)

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
	scripts/in-tree $(KVER) $(MAKE) -C driver KDIR=$(KDIR) W=$(W) C=$(C)

# userspace alone needs no package manager: libkmod-dev and check (for
# tests) must be there; make deps installs them with everything else
lib:
	$(MAKE) -C libpinctl

tools: lib
	$(MAKE) -C tools

tests: lib
	$(MAKE) -C tests

SECONDS ?= 600
SEED ?= $(shell date +%s)

# with QEMU's edu device behind Intel's vIOMMU: the demo's real transfer
run: deps all tests
	tools/pintest-vm $(VM_ARGS) --device edu,iommu=intel -- tests/run-demo

check: deps
	scripts/check-kernels $(KERNELS)

# libpinctl's module loading against a fake loader: needs no VM
check-host: lib tests
	CK_RUN_SUITE=kmod tests/pintest-tests

check-one: all tests
	tests/install-check
	tests/harness-selftest $(VM_ARGS)
	scripts/vm-check $(VM_ARGS) -- tests/run-suites

# tools/pintest-vm --device: a translating IOMMU, direct, swiotlb bounce
DEVICE_CONFIGS ?= edu,iommu=intel edu,dma_mask=64 edu,dma_mask=32

check-device: all tests
	scripts/check-device $(KERNEL) $(DEVICE_CONFIGS)

# the debug kernel of KERNEL's series: debug (6.1) or debug-7.3
DEBUG_KERNEL = $(if $(filter 7.3 debug-7.3,$(KERNEL)),debug-7.3,debug)

debug-kernel:
	@scripts/deps --kernel $(DEBUG_KERNEL)
	scripts/debug-kernel $(if $(filter debug-7.3,$(DEBUG_KERNEL)),7.3)

# KASAN wants more memory; the sweep runs after every suite passed
check-debug: debug-kernel
	$(MAKE) check-one KERNEL=$(DEBUG_KERNEL) VM_ARGS="--kernel $(DEBUG_KERNEL) --mem 3072"
	scripts/vm-check --kernel $(DEBUG_KERNEL) --mem 3072 -- tests/fault-sweep

coverage: debug-kernel lib tools tests
	scripts/coverage

bench: all tests
	scripts/bench $(VM_ARGS) $(if $(ICOUNT),--icount)

fuzz: all tests
	scripts/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 2 + 600 )) -- \
		tests/pintest-fuzz -s $(SECONDS) -S $(SEED)

soak: all tests
	scripts/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 12 + 600 )) -- \
		env CK_RUN_SUITE=stress PINTEST_STRESS_SECONDS=$(SECONDS) \
		PINTEST_STRESS_ONLY="$(SCENARIOS)" \
		PINTEST_TESTS=tests/pintest-soak tests/run-suites

install: all
	scripts/in-tree $(KVER) $(MAKE) -C driver install KVER=$(KVER)
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
	scripts/dkms-install $(foreach k,$(KERNELS),$$(scripts/kver $(k)))

lint: deps
	scripts/in-tree $(KVER) scripts/lint-driver $(KDIR)
	$(MAKE) -C man lint

abi-check: deps
	scripts/check-abi

clean:
	$(MAKE) -C driver clean
	$(MAKE) -C libpinctl clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean

.PHONY: all deps modules lib tools tests run check check-host check-one check-device debug-kernel check-debug \
	coverage bench fuzz soak install uninstall dkms-install lint abi-check clean
