# qemu-virt: the aarch64 image and the emulated-device test stage.
# Included by the top Makefile.
#   make image        cross-build notewelld/notewellctl, assemble build-image/
#   make qemu-run     boot it interactively (serial console; Ctrl-A X quits)
#   make qemu-test    image + emulated scenarios + unit tests under qemu-user
# The `qemu` stage (qemu-build / qemu-tap) is what `make test` runs.

ARM_O     ?= build-arm64
IMG_O     ?= build-image
ARM_CC    ?= aarch64-linux-gnu-gcc
# pkg-config looking only at the arm64 .pc files (Debian ships no
# aarch64-linux-gnu-pkg-config wrapper without pkgconf's cross setup).
ARM_PKG_CONFIG = env PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig PKG_CONFIG_PATH= pkg-config
# The image installs the notices at /usr/share/notewell/notices (mkimage.sh);
# the cross build's compiled-in default points there, not into this tree.
IMG_NOTICE_DIR = /usr/share/notewell/notices
ARM_MAKE  = $(MAKE) --no-print-directory O=$(ARM_O) CC=$(ARM_CC) \
            AR=aarch64-linux-gnu-ar PKG_CONFIG='$(ARM_PKG_CONFIG)' SAN= \
            NOTICE_DIR=$(IMG_NOTICE_DIR)
# NOTICE_DIR is compiled into roomscreen.o: a change of it (native build vs
# image) must rebuild that object, which make's timestamps alone miss.
$(O)/notice-dir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(NOTICE_DIR)' | cmp -s - $@ || echo '$(NOTICE_DIR)' >$@
$(O)/firmware/roomscreen.o: $(O)/notice-dir.stamp
.PHONY: FORCE
FORCE:

.PHONY: image-deps image qemu-build qemu-tap qemu-unit-build qemu-unit-tap
TEST_STAGES += qemu qemu-unit

image-deps:
	@board/deps.sh image

$(IMG_O)/usbprobe: tests/qemu/usbprobe.c | image-deps
	@mkdir -p $(IMG_O)
	$(ARM_CC) -O2 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	  $$($(ARM_PKG_CONFIG) --cflags libusb-1.0) -o $@ $< \
	  $$($(ARM_PKG_CONFIG) --libs libusb-1.0)

# Calls into every FW_PKGS library: the image must load them all even while
# the daemon uses only some (--no-as-needed keeps every DT_NEEDED).
$(IMG_O)/libcheck: tests/qemu/libcheck.c | image-deps
	@mkdir -p $(IMG_O)
	$(ARM_CC) -O2 -std=gnu11 -Wall -Wextra -Werror \
	  $$($(ARM_PKG_CONFIG) --cflags $(FW_PKGS)) -o $@ $< \
	  -Wl,--no-as-needed $$($(ARM_PKG_CONFIG) --libs $(FW_PKGS))

image: image-deps $(IMG_O)/usbprobe $(IMG_O)/libcheck
	@$(ARM_MAKE) PKGS='$(FW_PKGS)' firmware-bins
	@board/qemu-virt/mkimage.sh $(IMG_O) $(ARM_O)/notewelld $(ARM_O)/notewellctl \
	  $(IMG_O)/usbprobe $(IMG_O)/libcheck

qemu-run: image
	python3 tests/qemu/harness.py run --img $(IMG_O) --disk $(IMG_O)/data.img

# The sync scenario runs the host tool (notewell serve) from the native build.
qemu-build: image $(O)/notewell
qemu-tap:
	@python3 tests/qemu/harness.py test --img $(IMG_O) --host-bin $(O)

# The C unit tests, cross-built and run under qemu-aarch64-static: catches
# word-size and alignment assumptions the x86 build hides. Only tests of
# device and shared code: host-tools needs libical, whose arm64 -dev package
# cannot be installed beside the native one. A test counts as a host test
# when it includes a header from host-tools/.
HOST_HDRS  = $(notdir $(wildcard host-tools/*.h))
ARM_UNIT_SRC = $(if $(HOST_HDRS),$(shell grep -L -E '\#include "($(subst $(eval) ,|,$(HOST_HDRS)))"' $(UNIT_SRC)),$(UNIT_SRC))
ARM_UNIT_BIN = $(ARM_UNIT_SRC:tests/unit/%.c=$(ARM_O)/fwtests/%)
# Used inside the cross sub-make (O=$(ARM_O)): link without libnwhost.a.
$(O)/fwtests/%: $(O)/tests/unit/%.o $(FW_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(FW_A) -Wl,--end-group $(FW_LDLIBS) -lcmocka

qemu-unit-build: image
	@$(ARM_MAKE) PKGS='$(FW_PKGS) cmocka' $(FW_A:$(O)/%=$(ARM_O)/%) $(ARM_UNIT_BIN)
qemu-unit-tap:
	@O=$(ARM_O) PROBE=$(IMG_O)/usbprobe HOST_TESTS='$(filter-out $(ARM_UNIT_SRC),$(UNIT_SRC))' \
	  tests/qemu/run-unit-arm64

qemu-test: qemu-build qemu-unit-build
	@O=$(O) tests/run-all qemu qemu-unit
