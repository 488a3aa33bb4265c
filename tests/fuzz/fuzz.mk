# Fuzzing (libFuzzer with ASan and UBSan, built by clang in $(FUZZ_O), away
# from the normal gcc build).
#
# Every tests/fuzz/fuzz_NAME.c is a target, found by pattern: it defines
# LLVMFuzzerTestOneInput and names the module sources it needs in a comment
#     /* fuzz-sources: firmware/hid.c firmware/badge.c */
# A target without that line is linked against every firmware/common,
# firmware and host-tools module instead (slower to build, still works).
# Seed inputs live in tests/fuzz/corpus/NAME/; a dictionary in
# tests/fuzz/NAME.dict is used when present.
#
#   make fuzz                 runs each target for FUZZ_SECONDS (default 60);
#                             new inputs go to $(FUZZ_O)/corpus/NAME, crashes
#                             to $(FUZZ_O)/artifacts/
#   make fuzz FUZZ_TARGET=fuzz_hid   just one
#   stage "fuzz" in make test: fuzz-build, then fuzz-tap runs each target
#                             over its seeds for FUZZ_TAP_RUNS inputs, one TAP
#                             line per target; FUZZ_TAP_BUDGET seconds (default
#                             30) are shared among the targets, at least 2 each

FUZZ_O           ?= build-fuzz
FUZZ_CC          ?= clang
FUZZ_SECONDS     ?= 60
FUZZ_TAP_RUNS    ?= 200000
FUZZ_TAP_BUDGET  ?= 30
FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
              -Ifirmware -Ifirmware/common -Ihost-tools \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(FUZZ_SAN)

FUZZ_ALL     = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGET ?= $(FUZZ_ALL)
FUZZ_BINS    = $(FUZZ_ALL:%=$(FUZZ_O)/%)
FUZZ_ALL_SRC = $(COMMON_SRC) $(FW_SRC) $(HOST_SRC)
fuzz_srcs    = $(or $(shell sed -n 's|^.*fuzz-sources:[[:space:]]*\([^*]*\).*|\1|p' tests/fuzz/$(1).c),$(FUZZ_ALL_SRC))

TEST_STAGES += fuzz
.PHONY: fuzz fuzz-build fuzz-tap

$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

define FUZZ_LINK
$(FUZZ_O)/$(1): $(FUZZ_O)/obj/tests/fuzz/$(1).o $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(2))
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $$(LDLIBS)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_LINK,$(t),$(call fuzz_srcs,$(t)))))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_TARGET:%=$(FUZZ_O)/%)
	@mkdir -p $(FUZZ_O)/artifacts
	@for t in $(FUZZ_TARGET); do \
		mkdir -p $(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
		$(FUZZ_O)/$$t -max_total_time=$(FUZZ_SECONDS) $$dict \
		    -artifact_prefix=$(FUZZ_O)/artifacts/$$t- \
		    $(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Each run starts from the committed seeds in a fresh scratch corpus, so the
# stage costs the same every time however many targets get added.
fuzz-tap: $(FUZZ_BINS)
	@n=0; bad=0; mkdir -p $(FUZZ_O)/artifacts; \
	secs=$$(( $(FUZZ_TAP_BUDGET) / ($(words $(FUZZ_ALL)) + 0 ? $(words $(FUZZ_ALL)) : 1) )); \
	[ $$secs -ge 2 ] || secs=2; \
	for t in $(FUZZ_ALL); do \
		n=$$((n + 1)); log=$(FUZZ_O)/$$t.tap.log; \
		rm -rf $(FUZZ_O)/tap-corpus/$$t; mkdir -p $(FUZZ_O)/tap-corpus/$$t; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		seeds=; [ -d tests/fuzz/corpus/$$t ] && seeds=tests/fuzz/corpus/$$t; \
		if $(FUZZ_O)/$$t -runs=$(FUZZ_TAP_RUNS) \
		    -max_total_time=$$secs $$dict \
		    -artifact_prefix=$(FUZZ_O)/artifacts/$$t- \
		    $(FUZZ_O)/tap-corpus/$$t $$seeds >$$log 2>&1; then \
			echo "ok $$n - fuzz $$t ($$(grep -o 'Done [0-9]* runs' $$log | tail -1))"; \
		else \
			bad=1; echo "not ok $$n - fuzz $$t (log: $$log)"; \
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' $$log | head -10 | sed 's/^/# /'; \
		fi; \
	done; \
	[ $$n -gt 0 ] || { echo "not ok 1 - no fuzz targets in tests/fuzz"; bad=1; }; \
	exit $$bad

-include $(shell find $(FUZZ_O)/obj -name '*.d' 2>/dev/null)
