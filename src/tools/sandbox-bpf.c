/* sandbox-bpf.c - run at build time (never installed): the seccomp
 * filters of the gate and the relay client, written as C on standard
 * output (src/tools/sandbox_prebuilt.c in the build tree), which
 * safemail-gate and safemail-relay are linked with (Makefile.am).
 *
 * Each filter is built by the code that builds it at run time
 * (sandbox_compile: sandbox.c's build_filter, libseccomp) from the
 * programs' own lists (gate_sandbox_calls, relay_sandbox_calls), once
 * per mode: production's (a call outside the list kills the process)
 * and the test builds' (a trap names the call; probe mode's too). Each
 * carries its policy's fingerprint, which sandbox_apply matches: a list
 * changed since is not matched, and its filter is built at run time.
 * Nothing here is BPF written by hand. A cross build cannot run this
 * (configure.ac): its programs build every filter at run time. */
#include "config.h"

#include <inttypes.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "sandbox_gate.h"
#include "sandbox_relay.h"

/* the policies the programs lock down with: the gate's; the relay
 * client's (deliver, verdict, standby, one) and a queue run's */
enum which { GATE, RELAY, RELAY_QUEUE };

static const struct {
	enum which which;
	const char *name;
} policies[] = {{GATE, "safemail-gate"}, {RELAY, "safemail-relay"},
    {RELAY_QUEUE, "safemail-relay queue"}};

static const struct {
	enum sandbox_test test;
	const char *name;
} modes[] = {{SANDBOX_TEST_NONE, "kill"}, {SANDBOX_TEST_TRAP, "trap"}};

#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void
policy(enum which w, enum sandbox_test test, struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->test = test;
	if (w == GATE)
		gate_sandbox_calls(p);
	else
		relay_sandbox_calls(p, w == RELAY_QUEUE);
}

/* one filter as a static array fN */
static void
print_filter(size_t n, const char *what, const struct sandbox_bpf *b)
{
	const struct sock_filter *insn = b->insns;
	size_t count = b->len / sizeof(*insn);

	(void)printf("\n/* %s: %u rules, %zu instructions */\n"
		     "static const struct sock_filter f%zu[] = {\n",
	    what, b->calls, count, n);
	for (size_t i = 0; i < count; i++)
		(void)printf("    {0x%04x, %u, %u, 0x%08" PRIx32 "},\n",
		    (unsigned)insn[i].code, (unsigned)insn[i].jt,
		    (unsigned)insn[i].jf, (uint32_t)insn[i].k);
	(void)printf("};\n");
}

int
main(void)
{
	struct sandbox_bpf b[NPOLICIES * NMODES];
	char what[NPOLICIES * NMODES][64];
	size_t n = 0;

	for (size_t i = 0; i < NPOLICIES; i++)
		for (size_t m = 0; m < NMODES; m++, n++) {
			struct sandbox_policy p;

			policy(policies[i].which, modes[m].test, &p);
			(void)snprintf(what[n], sizeof(what[n]), "%s, %s",
			    policies[i].name, modes[m].name);
			if (sandbox_compile(&p, &b[n]) != 0) {
				(void)fprintf(stderr, "sandbox-bpf: cannot build "
						      "the seccomp filter of %s "
						      "(libseccomp)\n",
				    what[n]);
				return 1;
			}
		}
	(void)printf("/* sandbox_prebuilt.c - generated at build time by "
		     "src/tools/sandbox-bpf.c:\n"
		     " * do not edit. The programs' seccomp filters "
		     "(sandbox.h, struct sandbox_prebuilt). */\n"
		     "#include \"config.h\"\n\n"
		     "#include <linux/filter.h>\n\n"
		     "#include \"sandbox.h\"\n");
	for (size_t i = 0; i < n; i++)
		print_filter(i, what[i], &b[i]);
	(void)printf("\nstatic const struct sandbox_prebuilt list[] = {\n");
	for (size_t i = 0; i < n; i++)
		(void)printf("    {UINT64_C(0x%016" PRIx64 "), f%zu, sizeof(f%zu), "
			     "%u, \"%s\"},\n",
		    b[i].fingerprint, i, i, b[i].calls, what[i]);
	(void)printf("};\n\n"
		     "const struct sandbox_prebuilt *\n"
		     "sandbox_prebuilt_list(size_t *n)\n"
		     "{\n"
		     "\t*n = sizeof(list) / sizeof(list[0]);\n"
		     "\treturn list;\n"
		     "}\n");
	for (size_t i = 0; i < n; i++)
		free(b[i].insns);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		(void)fprintf(stderr, "sandbox-bpf: cannot write\n");
		return 1;
	}
	return 0;
}
