# SPDX-License-Identifier: GPL-2.0
#
# pintest top-level Makefile: it only delegates.
#
#   make            build the module (for the VM's Debian kernel), the
#                   library and the tools
#   make run        boot the VM, pin/query/DMA/release real memory, show stats
#   make check      build everything and run every test suite in the VM
#   make soak       the stress suite only, SECONDS (default 600) per scenario
#   make modules    KVER=<release> or KDIR=<build dir>, W=1, C=1 as in kbuild
#   make lint       module W=1, sparse, checkpatch --strict and kernel-doc clean
#   make install    module (+ depmod), library, header, pkg-config file,
#                   pinctl, man pages, udev rule; DESTDIR, PREFIX, UDEVDIR
#   make dkms-install  register, build and install the module with DKMS
#   make clean      works without kernel headers
#
# KERNEL picks the Debian kernel series the VM boots (6.1 by default).

KERNEL ?= 6.1
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
	@scripts/deps

modules: deps
	@test -d "$(KDIR)" || { echo "no kernel build dir '$(KDIR)' (set KVER or KDIR)"; exit 1; }
	$(MAKE) -C driver KDIR=$(KDIR) W=$(W) C=$(C)

lib: deps
	$(MAKE) -C libpinctl

tools: lib
	$(MAKE) -C tools

tests: lib
	$(MAKE) -C tests

SECONDS ?= 600

run: all tests
	tools/pintest-vm $(VM_ARGS) -- tests/run-demo

check: all tests
	tests/install-check
	tests/harness-selftest $(VM_ARGS)
	scripts/vm-check $(VM_ARGS) -- tests/run-suites

soak: all tests
	scripts/vm-check $(VM_ARGS) --timeout $$(( $(SECONDS) * 12 + 600 )) -- \
		env CK_RUN_SUITE=stress PINTEST_STRESS_SECONDS=$(SECONDS) tests/run-suites

install: all
	$(MAKE) -C driver install KVER=$(KVER)
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

dkms-install: deps
	scripts/dkms-install $(KVER)

lint: deps
	scripts/lint-driver $(KDIR)
	$(MAKE) -C man lint

clean:
	$(MAKE) -C driver clean
	$(MAKE) -C libpinctl clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean

.PHONY: all deps modules lib tools tests run check soak install uninstall dkms-install lint clean
