/*
 * bench/probe: why libopusenc costs more CPU than the floor at the same
 * instruction count. libopus built with custom modes (Debian's is) calls
 * opus_select_arch() in opus_custom_mode_create(), which
 * opus_encoder_get_size() reaches; the multistream encoder that libopusenc
 * uses calls opus_encoder_get_size() to step over its streams on every
 * encode and every ctl. On x86 opus_select_arch() executes CPUID, a single
 * instruction for callgrind but a trap to the hypervisor in a VM.
 *
 * Prints the time per opus_encoder_get_size() call and per bare CPUID, and
 * the same for a plain function call as a yardstick.
 */
#include <opus/opus.h>
#include <stdio.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#if defined(__x86_64__) || defined(__i386__)
static unsigned
cpuid0(void)
{
	unsigned a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return a;
}
#endif

int
main(void)
{
	const int n = 20000;
	volatile int sink = 0;
	double t;

	t = now();
	for (int i = 0; i < n; i++)
		sink += opus_encoder_get_size(1);
	printf("opus_encoder_get_size: %.2f us/call\n", (now() - t) * 1e6 / n);
	t = now();
	for (int i = 0; i < n; i++)
		sink += opus_packet_get_nb_channels((const unsigned char *)"\x04");
	printf("plain libopus call:    %.2f us/call\n", (now() - t) * 1e6 / n);
#if defined(__x86_64__) || defined(__i386__)
	t = now();
	for (int i = 0; i < n; i++)
		sink += (int)cpuid0();
	printf("cpuid instruction:     %.2f us/call\n", (now() - t) * 1e6 / n);
#else
	printf("cpuid instruction:     n/a (not x86)\n");
#endif
	return sink == 42;
}
