# bench/: the benchmark table (not a test stage: it takes several minutes
# and its numbers are for people, see bench/README.md).
#   make O=build-x bench                      every bench, rewrites README.md
#   make O=build-x bench BENCH_SKIP=boot      without the QEMU boot (run it
#                                             only when no other guest runs)
.PHONY: bench-build bench-arm64-build
BENCH_BINS = $(O)/bench/nwrec $(O)/bench/floor $(O)/bench/probe

$(O)/bench/nwrec: $(O)/bench/nwrec.o $(FW_A)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(FW_A) -Wl,--end-group $(FW_LDLIBS)
$(O)/bench/floor $(O)/bench/probe: $(O)/bench/%: $(O)/bench/%.o
	$(CC) $(LDFLAGS) -o $@ $< $(FW_LDLIBS)

bench-build: $(BENCH_BINS)

# The same programs for arm64, run under qemu-user by bench/run.sh when the
# cross compiler and the :arm64 libraries are there (board/deps.sh image).
# qemu-user times are not A72 times, but the ratios show what x86 adds.
BENCH_ARM = $(O)-arm64
bench-arm64-build:
	@if command -v aarch64-linux-gnu-gcc >/dev/null && \
	    [ -f /usr/lib/aarch64-linux-gnu/pkgconfig/libopusenc.pc ]; then \
		PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
		$(MAKE) --no-print-directory -s O=$(BENCH_ARM) CC=aarch64-linux-gnu-gcc \
		    PKGS="$(FW_PKGS)" $(BENCH_ARM)/bench/nwrec $(BENCH_ARM)/bench/floor \
		    $(BENCH_ARM)/bench/probe; \
	else echo "bench: no arm64 cross toolchain, skipping the arm64 rows"; fi

bench: all bench-build bench-arm64-build
	@board/deps.sh test
	@O=$(O) ARM=$(BENCH_ARM) IMG=$(IMG_O) MAKE="$(MAKE)" BENCH_SKIP="$(BENCH_SKIP)" \
	    BENCH_SCANS=$(BENCH_SCANS) \
	    sh bench/table.sh
