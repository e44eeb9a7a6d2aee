# SPDX-License-Identifier: GPL-2.0
#
# The parts of make check and of CI (.ci/run), included by the top-level
# Makefile: scripts/check-kernels runs them one by one (make check-one
# KERNEL=6.12 also works by hand), and the matrix they run over.

# the kernels make check takes, in turn, x86's before arm64's, and make
# dkms-install (x86's: DKMS builds for this machine's architecture); and
# those it boots for the device suite alone, unless KERNELS is given
# (every suite on 7.3-arm64 too: KERNELS="6.1 6.12 7.3 7.3-arm64-16k 7.3-arm64")
ifeq ($(origin KERNELS),command line)
DEVICE_KERNELS ?=
endif
KERNELS ?= 6.1 6.12 7.3 7.3-arm64-16k
DEVICE_KERNELS ?= 7.3-arm64
KERNELS_X86 = $(filter-out %-arm64 %-arm64-16k,$(KERNELS))

# make check-device: vm/pintest-vm --device configurations: a translating
# IOMMU (Intel's; arm64: the SMMUv3), direct, swiotlb bounce; make check
# boots the last x86 kernel with DEVICE_CHECK (direct only by hand) and
# every other kernel behind the IOMMU alone
DEVICE_IOMMU = edu,iommu=$(IOMMU)
DEVICE_CONFIGS ?= $(DEVICE_IOMMU) edu,dma_mask=64 edu,dma_mask=32
DEVICE_CHECK = $(DEVICE_IOMMU) edu,dma_mask=32

# libpinctl's module loading against a fake loader: needs no VM
check-host: lib tests
	mkdir -p build/results
	CK_RUN_SUITE=kmod PINTEST_OUT=build/results PINTEST_RESULTS_NAME=host tests/shell/run-suites

# every suite in the VM on KERNEL, after the install check and the
# harness's self-test
check-one: deps all tests
	tests/install/install-check
	tests/shell/harness-selftest $(VM_ARGS)
	vm/vm-check $(VM_ARGS) --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL) tests/shell/run-suites

# the zone and move suites on a boot with a ZONE_MOVABLE (on every other
# boot their cases of it SKIP): long-term pins must migrate their pages
# out of it.  Not numa=fake=2 too: the hugetlb pool then grows on a node
# without one, and the zone suite's hugetlb rows cannot start in it
check-movable-vm: deps all tests
	vm/vm-check $(VM_ARGS) --append movablecore=512M --out build/results -- \
		env CK_RUN_SUITE="zone move" PINTEST_RESULTS_NAME=$(KERNEL)-movable tests/shell/run-suites

# how CI proves check-native: as the command of a VM booted bare
check-native-vm: deps all tests
	vm/vm-check $(VM_ARGS) --bare --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL)-native $(MAKE) --no-print-directory check-native

# how CI tests the Debian packages: installed with dpkg in a bare VM, DKMS
# building the module there, then make check-native against it, on the
# suites of DEB_SUITES (every suite ran on the same source in check-one;
# DEB_SUITES= runs them all here too)
DEB_SUITES ?= uapi pin errors lifetime security integration
check-deb-vm: deps deb all tests
	vm/vm-check $(VM_ARGS) --bare --out build/results -- \
		env PINTEST_RESULTS_NAME=$(KERNEL)-deb $(if $(DEB_SUITES),CK_RUN_SUITE="$(DEB_SUITES)") \
		tests/install/deb-check

# how CI runs the kselftest package: copied out of the repository into a
# bare VM; KSELFTEST_TESTS="-t pintest:SUITE ..." picks suites (default: all)
check-kselftest-vm: deps
	$(MAKE) kselftest-install INSTALL_PATH=$(CURDIR)/build/kselftest
	vm/vm-check $(VM_ARGS) --bare --out build/results -- sh -c \
		'cp -a build/kselftest /tmp/kselftest && cd / && \
		 /tmp/kselftest/run_kselftest.sh $(KSELFTEST_TESTS) > "$$PINTEST_OUT/$(KERNEL)-kselftest.ktap"'

# register, build and install the module with DKMS for each x86 kernel of KERNELS
dkms-install:
	for k in $(KERNELS_X86); do scripts/deps --check --kernel $$k || exit 1; done
	scripts/dkms-install $(foreach k,$(KERNELS_X86),$$(vm/kernels/kver $(k)))

# libpinctl.so.1 still compatible with the last release (abidiff)
abi-check: deps-check
	scripts/check-abi

.PHONY: check-host check-one check-movable-vm check-native-vm check-deb-vm check-kselftest-vm dkms-install abi-check
