# notewell: device firmware (notewelld, notewellctl) and host tool (notewell).
#
# Sources are found by pattern so adding a module needs no edit here:
#   firmware/common/*.c  code shared by box and host   -> build/libnwcommon.a
#   firmware/*.c         device modules                 -> build/libnwfw.a
#   host-tools/*.c       host modules                   -> build/libnwhost.a
#   tests/unit/test_*.c  one cmocka binary each, linked against all three
# Other areas (fuzz, image, bench) keep their rules in their own *.mk.

CC      ?= cc
O       ?= build
PKG_CONFIG ?= pkg-config
# The box needs FW_PKGS only, so a cross build (PKGS=$(FW_PKGS)) needs no
# :arm64 copies of the host's libraries.
FW_PKGS = sqlite3 libopusenc opus ogg libusb-1.0 libqrencode libsodium \
          libcurl jansson sndfile libpng freetype2 alsa nettle
HOST_PKGS = libmicrohttpd libical gnutls
PKGS    ?= $(FW_PKGS) $(HOST_PKGS)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           -Ifirmware -Ifirmware/common -Ihost-tools \
           $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv -lm
FW_LDLIBS = $(shell $(PKG_CONFIG) --libs $(FW_PKGS) 2>/dev/null) -lm
# The native (sim) build finds the shipped notices in this tree; the image
# overrides it with the path the image installs them to.
NOTICE_DIR ?= $(CURDIR)/board/notices
CFLAGS  += -DNW_DEFAULT_NOTICE_DIR='"$(NOTICE_DIR)"'
SAN     ?=
CFLAGS  += $(SAN)
LDFLAGS += $(SAN)

FW_MAINS   = firmware/notewelld.c firmware/notewellctl.c
COMMON_SRC = $(wildcard firmware/common/*.c)
FW_SRC     = $(filter-out $(FW_MAINS),$(wildcard firmware/*.c))
HOST_SRC   = $(filter-out host-tools/main.c,$(wildcard host-tools/*.c))
UNIT_SRC   = $(wildcard tests/unit/test_*.c)

COMMON_OBJ = $(COMMON_SRC:%.c=$(O)/%.o)
FW_OBJ     = $(FW_SRC:%.c=$(O)/%.o)
HOST_OBJ   = $(HOST_SRC:%.c=$(O)/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
LIBS_A     = $(O)/libnwhost.a $(O)/libnwfw.a $(O)/libnwcommon.a
BINS       = $(O)/notewelld $(O)/notewellctl $(O)/notewell

.PHONY: firmware-bins all deps test unit-test demo clean fuzz image qemu-test qemu-run bench soak
all: deps $(BINS)

deps:
	@board/deps.sh build

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libnwcommon.a: $(COMMON_OBJ)
$(O)/libnwfw.a: $(FW_OBJ)
$(O)/libnwhost.a: $(HOST_OBJ)
$(O)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

FW_A = $(O)/libnwfw.a $(O)/libnwcommon.a
$(O)/notewelld: $(O)/firmware/notewelld.o $(FW_A)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(FW_A) -Wl,--end-group $(FW_LDLIBS)
$(O)/notewellctl: $(O)/firmware/notewellctl.o $(FW_A)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(FW_A) -Wl,--end-group $(FW_LDLIBS)
firmware-bins: $(O)/notewelld $(O)/notewellctl
$(O)/notewell: $(O)/host-tools/main.o $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(LIBS_A) -Wl,--end-group $(LDLIBS)

$(O)/tests/%: $(O)/tests/unit/%.o $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(LIBS_A) -Wl,--end-group $(LDLIBS) -lcmocka

# Helpers the shell suites run (not suites themselves: no test_ prefix).
TEST_TOOLS = $(O)/tests/ptcreat
$(O)/tests/ptcreat: tests/ptcreat.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

unit-test: all $(UNIT_BIN) $(TEST_TOOLS)

# Every test: unit (cmocka, TAP), integration (shell, TAP) and the stages the
# other *.mk files add to TEST_STAGES. tests/run-all prints the closing
# "N passed, N failed" line over all of them.
TEST_STAGES =
BENCH_TARGETS =
-include tests/fuzz/fuzz.mk board/qemu-virt/image.mk bench/bench.mk bench/suite.mk tests/san.mk
-include tests/soak.mk
bench: $(BENCH_TARGETS)
test:
	@board/deps.sh test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(UNIT_BIN) $(TEST_TOOLS) $(TEST_STAGES:%=%-build)
	@O=$(O) tests/run-all $(TEST_STAGES)

demo:
	@board/deps.sh test
	@$(MAKE) --no-print-directory all
	@O=$(O) board/sim/demo.sh

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
