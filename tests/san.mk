# The whole test suite once more under AddressSanitizer (with LeakSanitizer)
# and UndefinedBehaviorSanitizer, in its own build dir so the normal build
# is untouched.
#
#   stage "san" in make test: san-build builds every binary and unit test in
#   $(SAN_O) with $(SAN_FLAGS); san-tap runs tests/run-all there (unit and
#   integration suites, not the stages: the browser suite only drives a
#   browser, qemu and fuzz have their own builds; the demo suite runs a
#   whole virtual day, over a minute in any build, on paths record.sh and the sync
#   suites already take) and prints each test's TAP
#   line, plus one "not ok" per sanitizer report so a leak at daemon exit
#   fails even when the script that stopped the daemon did not look.
#   make san-tap SAN_O=...    another dir; SAN_SKIP= (empty) runs every suite.

SAN_O     ?= build-san
SAN_FLAGS ?= -fsanitize=address,undefined -fno-sanitize-recover=undefined
# -O1 builds twice as fast as -O2 and keeps stacks readable; sanitizers do
# not need more.
SAN_CFLAGS ?= -O1 -g -fno-omit-frame-pointer
SAN_SKIP  ?= integration/host_browser integration/demo

TEST_STAGES += san
.PHONY: san-build san-tap

# A sub-make with its own O and SAN; CFLAGS through the environment so the
# Makefile's += still adds the include paths and warnings.
san-build:
	@CFLAGS="$(SAN_CFLAGS)" $(MAKE) --no-print-directory -s O=$(SAN_O) SAN="$(SAN_FLAGS)" unit-test

san-tap:
	@SAN_O=$(SAN_O) RUN_ALL_SKIP="$(SAN_SKIP)" tests/san-tap.sh

# Fault injection in publish (tests/unit/test_publish_faults.c): the file
# calls of the host modules are swapped at link time for wrappers that fail
# the Nth call. Test-only; the production binaries are linked as before.
PUBFAULT_WRAP = mkdir link rename renameat2 syncfs fsync write fopen fwrite fclose
$(O)/tests/test_publish_faults: LDFLAGS += $(PUBFAULT_WRAP:%=-Wl,--wrap=%)

# Fault injection in the sync upload (tests/unit/test_sync_faults.c): the
# host's file calls and the box's reads of the recording, the same way.
SYNCFAULT_WRAP = pwrite write fsync fdatasync ftruncate truncate rename read pread
$(O)/tests/test_sync_faults: LDFLAGS += $(SYNCFAULT_WRAP:%=-Wl,--wrap=%)
