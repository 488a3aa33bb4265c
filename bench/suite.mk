# Scan-to-durable latency against a bare SQLite commit (issue: blue sheet).
# `make bench` runs it through bench/table.sh; bench-scan runs it alone.
BENCH_TARGETS += $(O)/bench/scan_latency
$(O)/bench/scan_latency: $(O)/bench/scan_latency.o $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(LIBS_A) -Wl,--end-group $(LDLIBS)
bench-scan: all $(O)/bench/scan_latency
	@rm -rf $(O)/bench-scan && mkdir -p $(O)/bench-scan
	$(O)/bench/scan_latency $(O)/bench-scan $(BENCH_SCANS) | tee $(O)/bench-scan.txt
BENCH_SCANS ?= 10000

# Publishing a synthetic full meeting at 1x, 2x and 4x (issue: publishing).
# `make bench` runs it through bench/table.sh; bench-publish runs it alone.
bench-publish: all
	O=$(O) bench/host_publish.sh | tee $(O)/bench-publish.txt
