/*
 * ptcreat PID PATH: makes the running process PID create PATH (openat with
 * O_WRONLY|O_CREAT|O_TRUNC, mode 0644), closes it again, and prints what
 * openat returned: a descriptor, or -errno. privdrop.sh uses it to ask a
 * confined notewelld, from the inside, whether Landlock lets it write a
 * path.
 *
 * Why not gdb: its inferior calls save and restore the whole register file,
 * and gdb 13 cannot write the x86 extended state back on CPUs with AMX
 * ("Couldn't write extended state status: Bad address"), which leaves the
 * process with broken registers and kills it. Here only the general
 * registers are touched: the tracee is stopped, one syscall instruction is
 * put at its instruction pointer and single-stepped with the arguments in
 * registers and the path on its stack (well below the red zone), then its
 * memory and registers are put back exactly as they were.
 *
 * x86_64 only: the host tests run there; elsewhere it says so and exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)

/* Far enough below the stack pointer to miss the 128-byte red zone and
 * whatever a signal frame would use; the main stack is far larger. */
#define SCRATCH_BELOW 8192
#define PATH_MAX_LEN 1024

struct tracee {
	pid_t pid;
	struct user_regs_struct saved;
	uintptr_t code;          /* where the syscall instruction goes */
	long code_word;          /* what was there */
	uintptr_t scratch;       /* where the path goes */
	uint8_t scratch_old[PATH_MAX_LEN];
	size_t scratch_len;
};

static int
mem_rw(pid_t pid, uintptr_t addr, void *buf, size_t len, int write)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0) :
	    process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : -1;
}

/* Runs one syscall in the tracee; returns its result (-errno on failure). */
static long
inject(struct tracee *t, long nr, long a0, long a1, long a2, long a3)
{
	struct user_regs_struct r = t->saved;
	int st;

	r.rip = t->code;
	/* Not in a syscall as far as restart logic goes: the one the tracee
	 * was stopped in is restarted from the saved registers later. */
	r.orig_rax = -1;
	r.rax = nr;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	if (ptrace(PTRACE_SETREGS, t->pid, NULL, &r) < 0 ||
	    ptrace(PTRACE_SINGLESTEP, t->pid, NULL, NULL) < 0 ||
	    waitpid(t->pid, &st, __WALL) < 0 || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_GETREGS, t->pid, NULL, &r) < 0) {
		perror("ptcreat: single step");
		exit(1);
	}
	return (long)r.rax;
}

static int
attach(struct tracee *t, pid_t pid, size_t path_len)
{
	long word;
	int st;

	t->pid = pid;
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0) {
		perror("ptcreat: attach");
		return -1;
	}
	/* Wait for the attach's SIGSTOP; other signals met on the way stay
	 * pending in the kernel for the tracee. */
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
			perror("ptcreat: wait");
			return -1;
		}
		if (WSTOPSIG(st) == SIGSTOP)
			break;
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &t->saved) < 0) {
		perror("ptcreat: registers");
		return -1;
	}
	t->code = t->saved.rip;
	errno = 0;
	t->code_word = ptrace(PTRACE_PEEKTEXT, pid, (void *)t->code, NULL);
	if (errno) {
		perror("ptcreat: read code");
		return -1;
	}
	/* syscall = 0f 05, little-endian in the low bytes of the word. */
	word = (t->code_word & ~0xffffL) | 0x050f;
	if (ptrace(PTRACE_POKETEXT, pid, (void *)t->code, (void *)word) < 0) {
		perror("ptcreat: write code");
		return -1;
	}
	t->scratch = (t->saved.rsp - SCRATCH_BELOW - path_len) & ~(uintptr_t)15;
	t->scratch_len = path_len;
	if (mem_rw(pid, t->scratch, t->scratch_old, path_len, 0) < 0) {
		perror("ptcreat: read stack");
		return -1;
	}
	return 0;
}

/* Puts back the memory and registers and lets the tracee go on. */
static void
detach(struct tracee *t)
{
	mem_rw(t->pid, t->scratch, t->scratch_old, t->scratch_len, 1);
	ptrace(PTRACE_POKETEXT, t->pid, (void *)t->code, (void *)t->code_word);
	ptrace(PTRACE_SETREGS, t->pid, NULL, &t->saved);
	ptrace(PTRACE_DETACH, t->pid, NULL, NULL);
}

int
main(int argc, char **argv)
{
	struct tracee t;
	size_t len;
	long fd;

	if (argc != 3) {
		fprintf(stderr, "usage: ptcreat PID PATH\n");
		return 2;
	}
	len = strlen(argv[2]) + 1;
	if (len > PATH_MAX_LEN) {
		fprintf(stderr, "ptcreat: path too long\n");
		return 2;
	}
	memset(&t, 0, sizeof t);
	if (attach(&t, (pid_t)atoi(argv[1]), len) < 0)
		return 1;
	if (mem_rw(t.pid, t.scratch, argv[2], len, 1) < 0) {
		perror("ptcreat: write path");
		detach(&t);
		return 1;
	}
	fd = inject(&t, SYS_openat, AT_FDCWD, (long)t.scratch,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		inject(&t, SYS_close, fd, 0, 0, 0);
	detach(&t);
	printf("%ld\n", fd);
	return 0;
}

#else

int
main(void)
{
	fprintf(stderr, "ptcreat: only x86_64 is supported\n");
	return 2;
}

#endif
