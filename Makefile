# SPDX-License-Identifier: GPL-2.0
#
# heatmeter: top-level build and test entry points.
#
#   make               module (against KDIR) and userspace tools
#   make check         every test tier; ends with "N passed, N failed"
#   make demo          the driver in a VM reading simulated meters
#   make check-lib | check-build | check-style | check-docs | check-kunit | check-vm | check-dkms
#   make torture       the race/torture script alone on the debug kernel, 10 min
#   make dkms-install  dkms add, build and install for every kernel with headers
#   make bench | fuzz | install-deps | clean

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Kernel to build against: the running kernel's build dir, else the newest
# installed headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V)))

export HEATMETER_CACHE ?= $(HOME)/.cache/heatmeter

.PHONY: all modules userspace check check-lib check-build check-style \
	check-docs check-kunit check-vm check-dkms demo torture dkms-install bench fuzz install-deps clean \
	modules_install

all: modules userspace

modules:
	$(MAKE) -C $(KDIR) M=$(ROOT) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(ROOT) modules_install

userspace:
	$(MAKE) -C userspace

install-deps:
	$(ROOT)/scripts/install-deps

check: install-deps
	$(ROOT)/scripts/check all

check-lib check-build check-style check-docs check-kunit check-vm check-dkms: install-deps
	$(ROOT)/scripts/check $(patsubst check-%,%,$@)

demo: install-deps
	$(ROOT)/scripts/demo

# dkms add (source copied to /usr/src/heatmeter-VERSION), build and install
# for each kernel whose headers are installed; modprobe heatmeter then works
DKMS_VER := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(ROOT)/dkms.conf)
dkms-install:
	rm -rf /usr/src/heatmeter-$(DKMS_VER)
	mkdir -p /usr/src/heatmeter-$(DKMS_VER)
	cd $(ROOT) && git ls-files -co --exclude-standard | \
		rsync -a --files-from=- . /usr/src/heatmeter-$(DKMS_VER)/
	dkms add -m heatmeter -v $(DKMS_VER) || true
	for d in /usr/src/linux-headers-*-amd64; do \
		[ -e "$$d/Makefile" ] || continue; \
		dkms install -m heatmeter -v $(DKMS_VER) -k $${d#/usr/src/linux-headers-} || exit 1; \
	done

torture: install-deps
	$(ROOT)/scripts/torture

bench:
	$(ROOT)/scripts/bench

fuzz:
	$(MAKE) -C tests/fuzz run

clean:
	$(MAKE) -C $(KDIR) M=$(ROOT) clean 2>/dev/null || true
	$(MAKE) -C userspace clean
	rm -rf $(ROOT)/build
