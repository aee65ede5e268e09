/* Per-call cost of the C API for encoding 1 and 256 samples with dense32 on the CPU backend, a trivial call for the
 * boundary alone, and the time from dlopen to the first result. The C# side of the comparison is
 * `GpuAe.Benchmarks encode-calls` (benchmarks/GpuAe.Benchmarks/EncodeCalls.cs), timed the same way.
 *
 *   bench_encode LIBGPUAE_SO [REPS]
 *
 * Each figure is the median over REPS (default 15) repetitions of a timed loop, after a warm-up; a median, not a
 * minimum or a mean, because the machines this runs on are often shared. Built by native/CMakeLists.txt (native/build/bench_encode). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime in C99 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "gpuae.h"

typedef gpuae_status (*context_create_fn)(const char *, int32_t, gpuae_context **);
typedef gpuae_status (*model_create_fn)(gpuae_context *, const char *, int32_t, gpuae_model **);
typedef gpuae_status (*encode_fn)(gpuae_model *, const float *, size_t, float *, size_t);
typedef gpuae_status (*code_size_fn)(const gpuae_model *, size_t *);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *symbol(void *library, const char *name) {
    void *f = dlsym(library, name);
    if (f == NULL) { fprintf(stderr, "%s: %s\n", name, dlerror()); exit(1); }
    return f;
}

static void require(gpuae_status status, const char *what) {
    if (status != GPUAE_OK) { fprintf(stderr, "%s failed (status %d)\n", what, (int)status); exit(1); }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bench_encode LIBGPUAE_SO [REPS]\n"); return 2; }
    int reps = argc > 2 ? atoi(argv[2]) : 15;
    static float input[256 * 784], codes[256 * 32];
    for (size_t i = 0; i < sizeof input / sizeof input[0]; i++) input[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;

    /* dlopen to the first code: load, context, model, one encode. */
    double start = now();
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    double loaded = now();
    context_create_fn context_create = (context_create_fn)symbol(library, "gpuae_context_create");
    model_create_fn model_create = (model_create_fn)symbol(library, "gpuae_model_create_preset");
    encode_fn encode = (encode_fn)symbol(library, "gpuae_model_encode");
    code_size_fn code_size = (code_size_fn)symbol(library, "gpuae_model_code_size");
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    require(context_create("cpu", 0, &context), "gpuae_context_create");
    require(model_create(context, "dense32", 1, &model), "gpuae_model_create_preset");
    require(encode(model, input, 1, codes, 32), "gpuae_model_encode");
    double first = now();
    printf("dlopen: %.1f ms; dlopen to the first code (context, dense32, encode 1): %.1f ms\n",
           (loaded - start) * 1e3, (first - start) * 1e3);

    /* per call: median over reps of the mean of `calls` calls */
    struct { const char *name; size_t samples; int calls; } cases[] = {
        { "gpuae_model_code_size (the boundary alone)", 0, 200000 },
        { "gpuae_model_encode, 1 sample", 1, 2000 },
        { "gpuae_model_encode, 256 samples", 256, 100 },
    };
    double *times = malloc(sizeof(double) * (size_t)reps);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t size = 0;
        for (int rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
            double t0 = now();
            for (int i = 0; i < cases[c].calls; i++)
                require(cases[c].samples == 0 ? code_size(model, &size)
                                              : encode(model, input, cases[c].samples, codes, cases[c].samples * 32), cases[c].name);
            if (rep >= 0) times[rep] = (now() - t0) / cases[c].calls;
        }
        qsort(times, (size_t)reps, sizeof(double), by_value);
        printf("%s: %.3f us per call (median of %d x %d calls; fastest rep %.3f us)\n", cases[c].name, times[reps / 2] * 1e6,
               reps, cases[c].calls, times[0] * 1e6);
    }
    free(times);
    void (*model_destroy)(gpuae_model *) = (void (*)(gpuae_model *))symbol(library, "gpuae_model_destroy");
    void (*context_destroy)(gpuae_context *) = (void (*)(gpuae_context *))symbol(library, "gpuae_context_destroy");
    model_destroy(model);
    context_destroy(context);
    return 0;
}
