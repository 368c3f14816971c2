/* SPDX-License-Identifier: MIT */
/* Benchmark: peak memory (max RSS) and run time of `capexsim run` at given path counts. */
/*
 * Usage: bench_rss CAPEXSIM [--threads T] PATHS...   (PATHS may be written 1e6)
 * For each count, runs `CAPEXSIM run --paths N --threads T --quiet` (the default scenario,
 * T = all cores unless given) as a child process and reads the child's peak resident set
 * from wait4()'s rusage (ru_maxrss, KiB on Linux): the whole process, libraries included.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include "bench/bench.h"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CAPEXSIM [--threads T] PATHS...\n", argv[0]);
        return 2;
    }
    const char *exe = argv[1];
    int threads = bench_cores();
    int first = 2;
    if (strcmp(argv[2], "--threads") == 0 && argc > 3) {
        threads = atoi(argv[3]);
        first = 4;
    }
    bench_machine_record("bench_rss");
    for (int i = first; i < argc; i++) {
        char *end;
        double d = strtod(argv[i], &end);
        if (*end || !(d >= 1 && d <= 1e15)) {
            fprintf(stderr, "%s: bad path count '%s'\n", argv[0], argv[i]);
            return 2;
        }
        char paths[32], th[16];
        snprintf(paths, sizeof paths, "%.0f", d);
        snprintf(th, sizeof th, "%d", threads);
        double t0 = bench_now();
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execl(exe, exe, "run", "--paths", paths, "--threads", th, "--quiet", (char *)NULL);
            perror("exec");
            _exit(127);
        }
        int status = 0;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) < 0) {
            perror("wait4");
            return 1;
        }
        double t = bench_now() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s: capexsim run --paths %s failed (status %d)\n", argv[0], paths,
                    status);
            return 1;
        }
        bench_emit(json_pack("{s:s, s:I, s:i, s:I, s:f, s:f, s:f}", "bench", "max_rss", "paths",
                             (json_int_t)d, "threads", threads, "max_rss_kib",
                             (json_int_t)ru.ru_maxrss, "max_rss_mib", ru.ru_maxrss / 1024.0,
                             "seconds", t, "paths_per_s", d / t));
    }
    return 0;
}
