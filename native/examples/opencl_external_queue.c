/* GpuAe on an engine's own OpenCL objects: this program creates its own OpenCL context, in-order command queue and
 * cl_mem buffers (on the first device of the first platform: PoCL's CPU device here and in CI), hands them to
 * libgpuae, and runs encode, reconstruct, reconstruction error and decode from and to its buffers, with nothing
 * copied through the host and no wait until it reads the results back itself on its queue.
 *
 * It checks that the results equal (bit for bit) what a GpuAe-owned OpenCL context on the same device gives through
 * the host-pointer calls, and agree with the CPU backend within abs + rel * |ref| (TOLERANCE_* below); that the error
 * paths return a status and a message; and that GpuAe takes one reference to the caller's queue and context and gives
 * back exactly that one, leaving both usable.
 *
 *   opencl_external_queue [PRESET]      (default dense32; exit status 0 when every check passed)
 *   opencl_external_queue --cpu-only    (only the CPU-context part: what valgrind memcheck runs, see CMakeLists.txt) */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "../tests/check.h"

#define COUNT 300          /* samples: two batches of the presets' 256 (a full one and a partial one) */
#define INPUT_OFFSET 7     /* floats before the first sample in the caller's input buffer */
#define OUTPUT_OFFSET 3    /* floats before the first result in each output buffer */
#define SEED 11
/* Against the CPU backend (float64 reference sums vs float32 kernels), per value: |x - ref| <= ABS + REL * |ref|. */
#define TOLERANCE_ABS 1e-5
#define TOLERANCE_REL 1e-4

#define CL_CHECK(call) do { cl_int e_ = (call); if (e_ != CL_SUCCESS) { \
    fprintf(stderr, "%s:%d: %s failed: %d\n", __FILE__, __LINE__, #call, (int)e_); exit(2); } } while (0)

typedef struct {
    cl_context context;
    cl_command_queue queue;
    cl_device_id device;
} caller_cl;

/* Deterministic samples in [0, 1]. */
static void fill_samples(float *x, size_t n) {
    uint32_t state = 12345u;
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        x[i] = (float)(state >> 8) / (float)(1u << 24);
    }
}

static int open_caller_cl(caller_cl *cl) {
    cl_platform_id platform;
    cl_uint platforms = 0;
    if (clGetPlatformIDs(1, &platform, &platforms) != CL_SUCCESS || platforms == 0) return 0;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &cl->device, NULL) != CL_SUCCESS) return 0;
    cl_int e;
    cl->context = clCreateContext(NULL, 1, &cl->device, NULL, NULL, &e);
    CL_CHECK(e);
    cl->queue = clCreateCommandQueue(cl->context, cl->device, 0, &e);
    CL_CHECK(e);
    return 1;
}

static cl_mem buffer(cl_context context, size_t floats) {
    cl_int e;
    cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, floats * sizeof(float), NULL, &e);
    CL_CHECK(e);
    return m;
}

static cl_uint reference_count(cl_command_queue queue, cl_context context, cl_uint *context_count) {
    cl_uint q = 0;
    CL_CHECK(clGetCommandQueueInfo(queue, CL_QUEUE_REFERENCE_COUNT, sizeof q, &q, NULL));
    CL_CHECK(clGetContextInfo(context, CL_CONTEXT_REFERENCE_COUNT, sizeof *context_count, context_count, NULL));
    return q;
}

/* gpuae_context_create_opencl takes one reference to the queue and the context, destroy gives exactly those back.
 * (Measured around a context with no work: PoCL's buffers and commands hold references of their own.) */
static void retain_and_release(caller_cl *cl) {
    cl_uint context_before, context_during, context_after;
    cl_uint queue_before = reference_count(cl->queue, cl->context, &context_before);
    gpuae_context *context = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create_opencl(cl->context, cl->queue, &context));
    cl_uint queue_during = reference_count(cl->queue, cl->context, &context_during);
    gpuae_context_destroy(context);
    cl_uint queue_after = reference_count(cl->queue, cl->context, &context_after);
    CHECK(queue_during == queue_before + 1);
    CHECK(queue_after == queue_before);
    CHECK(context_after == context_before);
    CHECK(context_during > context_before);
    printf("caller's queue references %u -> %u -> %u, context %u -> %u -> %u (before, with GpuAe, after)\n",
           queue_before, queue_during, queue_after, context_before, context_during, context_after);
}

/* Values equal bit for bit; prints the first difference. */
static int same_bits(const char *what, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            fprintf(stderr, "%s: value %zu differs: %.9g vs %.9g\n", what, i, a[i], b[i]);
            return 0;
        }
    return 1;
}

/* |a - ref| <= abs + rel * |ref| everywhere; prints the worst value. */
static int within(const char *what, const float *a, const double *ref, size_t n, double abs_tol, double rel_tol) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double excess = fabs(a[i] - ref[i]) - (abs_tol + rel_tol * fabs(ref[i]));
        if (i == 0 || excess > worst) { worst = excess; at = i; }
    }
    printf("%s: worst |x - ref| - (%g + %g |ref|) = %.3g (value %zu: %.9g vs %.9g)\n", what, abs_tol, rel_tol, worst, at, a[at], ref[at]);
    return worst <= 0;
}

static void to_double(const float *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i];
}

typedef struct {
    size_t input_size, code_size;
    float *codes, *output;
    double *scores;
} host_results;

/* encode, reconstruct and reconstruction_error through the host-pointer calls on a context made by name. */
static int host_run(const char *backend, const char *preset, const float *input, host_results *r) {
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    if (gpuae_context_create(backend, 0, &context) != GPUAE_OK) {
        fprintf(stderr, "no %s context: %s\n", backend, gpuae_last_error());
        return 0;
    }
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, preset, SEED, &model));
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_size(model, &r->input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &r->code_size));
    r->codes = malloc(COUNT * r->code_size * sizeof(float));
    r->output = malloc(COUNT * r->input_size * sizeof(float));
    r->scores = malloc(COUNT * sizeof(double));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input, COUNT, r->codes, COUNT * r->code_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct(model, input, COUNT, r->output, COUNT * r->input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruction_error(model, input, COUNT, r->scores, COUNT));
    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    return 1;
}

static void free_results(host_results *r) {
    free(r->codes);
    free(r->output);
    free(r->scores);
}

/* The error paths of the level-2 calls, on the caller's objects and on a CPU model. */
static void error_paths(caller_cl *cl, gpuae_context *context, gpuae_model *model, cl_mem input, cl_mem codes, size_t code_size) {
    gpuae_context *none = (gpuae_context *)0x1;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(cl->context, NULL, &none));
    CHECK_MESSAGE("command queue");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(NULL, cl->queue, &none));
    CHECK_MESSAGE("cl_context");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(cl->context, cl->queue, NULL));
    CHECK(none == (gpuae_context *)0x1);

    /* a queue of another context */
    cl_int e;
    cl_context other = clCreateContext(NULL, 1, &cl->device, NULL, NULL, &e);
    CL_CHECK(e);
    cl_command_queue other_queue = clCreateCommandQueue(other, cl->device, 0, &e);
    CL_CHECK(e);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(cl->context, other_queue, &none));
    CHECK_MESSAGE("another cl_context");
    /* an out-of-order queue */
    cl_command_queue unordered = clCreateCommandQueue(cl->context, cl->device, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &e);
    if (e == CL_SUCCESS) {
        CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(cl->context, unordered, &none));
        CHECK_MESSAGE("out-of-order");
        clReleaseCommandQueue(unordered);
    }

    /* wrong handle kinds: a model where a context goes, a CUDA call on an OpenCL model */
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_context_synchronize((gpuae_context *)(void *)model));
    CHECK_MESSAGE("not a gpuae_context");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_context_synchronize(NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_encode_cu(model, 0x1000, 0, 1, 0x2000, 0));
    CHECK_MESSAGE("gpuae_context_create_cuda");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_encode_cl(NULL, input, 0, 1, codes, 0));

    /* buffers: NULL, of another context, too small (by count and by offset) */
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_encode_cl(model, NULL, 0, 1, codes, 0));
    CHECK_MESSAGE("input");
    cl_mem foreign = buffer(other, 1024);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_encode_cl(model, foreign, 0, 1, codes, 0));
    CHECK_MESSAGE("another cl_context");
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_encode_cl(model, input, 0, COUNT + 8, codes, 0));
    CHECK_MESSAGE("input");
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_encode_cl(model, input, INPUT_OFFSET, COUNT, codes, OUTPUT_OFFSET + code_size));
    CHECK_MESSAGE("codes");
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_reconstruction_error_cl(model, input, INPUT_OFFSET, COUNT, codes, (size_t)1 << 40));
    CHECK_MESSAGE("scores");
    /* count = 0 enqueues nothing, whatever the buffers */
    CHECK_STATUS(GPUAE_OK, gpuae_model_decode_cl(model, NULL, 0, 0, NULL, 0));

    /* device calls on a model of a GpuAe-owned (CPU) context */
    gpuae_context *cpu = NULL;
    gpuae_model *cpu_model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &cpu));
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(cpu, "dense32", SEED, &cpu_model));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_encode_cl(cpu_model, input, 0, 1, codes, 0));
    CHECK_MESSAGE("gpuae_context_create_opencl");
    CHECK_STATUS(GPUAE_OK, gpuae_context_synchronize(cpu));
    gpuae_model_destroy(cpu_model);
    gpuae_context_destroy(cpu);
    (void)context;

    clReleaseMemObject(foreign);
    clReleaseCommandQueue(other_queue);
    clReleaseContext(other);
}

/* The CPU part alone (valgrind memcheck runs this: PoCL compiles kernels with LLVM at run time, far too slow under
 * valgrind, and its JIT-ed code is noise to memcheck). */
/* A training step on a batch in the caller's cl_mem (gpuae_trainer_step_cl) gives the same loss and the same weights
 * (codes afterwards) as gpuae_trainer_step on the same samples from host memory, on two identical models. */
static void device_step(caller_cl *cl, gpuae_context *context, const char *preset, cl_mem input, const float *samples,
                        size_t input_size, size_t code_size) {
    enum { STEP = 64 };
    gpuae_model *on_device = NULL, *on_host = NULL;
    gpuae_trainer *t_device = NULL, *t_host = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, preset, SEED, &on_device));
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, preset, SEED, &on_host));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(on_device, NULL, &t_device));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(on_host, NULL, &t_host));
    if (t_device == NULL || t_host == NULL) return;
    double loss_device = -1, loss_host = -2;
    for (int step = 0; step < 2; step++) {
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_step_cl(t_device, input, INPUT_OFFSET + (size_t)step * STEP * input_size, STEP, &loss_device));
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(t_host, samples + (size_t)step * STEP * input_size, STEP, &loss_host));
        CHECK(loss_device == loss_host);
    }
    float *a = malloc(STEP * code_size * sizeof(float)), *b = malloc(STEP * code_size * sizeof(float));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(on_device, samples, STEP, a, STEP * code_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(on_host, samples, STEP, b, STEP * code_size));
    CHECK(same_bits("codes after device-batch steps vs host-batch steps", a, b, STEP * code_size));
    /* error paths: an empty step, a batch past the end of the buffer */
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_step_cl(t_device, input, 0, 0, NULL));
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_trainer_step_cl(t_device, input, INPUT_OFFSET, COUNT + 1, NULL));
    (void)cl;
    free(a);
    free(b);
    gpuae_trainer_destroy(t_device);
    gpuae_trainer_destroy(t_host);
    gpuae_model_destroy(on_device);
    gpuae_model_destroy(on_host);
}

static int cpu_only(void) {
    float *input = malloc(COUNT * 784 * sizeof(float));
    fill_samples(input, COUNT * 784);
    host_results cpu = {0};
    CHECK(host_run("cpu", "dense32", input, &cpu));
    CHECK(cpu.input_size == 784);
    gpuae_context *context = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    CHECK_STATUS(GPUAE_OK, gpuae_context_synchronize(context));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_opencl(NULL, NULL, &context));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create_cuda(NULL, NULL, &context));
    gpuae_context_destroy(context);
    free_results(&cpu);
    free(input);
    return check_result("opencl_external_queue --cpu-only");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--cpu-only") == 0) return cpu_only();
    const char *preset = argc > 1 ? argv[1] : "dense32";
    if (!GPUAE_CHECK_VERSION()) { fprintf(stderr, "libgpuae is older than gpuae.h\n"); return 1; }

    caller_cl cl;
    if (!open_caller_cl(&cl)) { fprintf(stderr, "no OpenCL device here\n"); return 1; }
    retain_and_release(&cl);

    /* GpuAe on the caller's context and queue, a model on it. */
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create_opencl(cl.context, cl.queue, &context));
    if (context == NULL) return check_result("opencl_external_queue");
    CHECK(strcmp(gpuae_context_backend(context), "opencl") == 0);
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, preset, SEED, &model));
    size_t input_size = 0, code_size = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_size(model, &input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &code_size));

    /* The caller's buffers, with offsets; the samples written by the caller. */
    size_t n_in = COUNT * input_size, n_codes = COUNT * code_size;
    float *samples = malloc(n_in * sizeof(float));
    fill_samples(samples, n_in);
    cl_mem input = buffer(cl.context, INPUT_OFFSET + n_in);
    cl_mem codes = buffer(cl.context, OUTPUT_OFFSET + n_codes);
    cl_mem output = buffer(cl.context, OUTPUT_OFFSET + n_in);
    cl_mem decoded = buffer(cl.context, OUTPUT_OFFSET + n_in);
    cl_mem scores = buffer(cl.context, OUTPUT_OFFSET + COUNT);
    CL_CHECK(clEnqueueWriteBuffer(cl.queue, input, CL_FALSE, INPUT_OFFSET * sizeof(float), n_in * sizeof(float), samples, 0, NULL, NULL));

    /* Enqueued on the caller's queue, in order after the write above; decode reads the codes encode wrote. */
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode_cl(model, input, INPUT_OFFSET, COUNT, codes, OUTPUT_OFFSET));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct_cl(model, input, INPUT_OFFSET, COUNT, output, OUTPUT_OFFSET));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruction_error_cl(model, input, INPUT_OFFSET, COUNT, scores, OUTPUT_OFFSET));
    CHECK_STATUS(GPUAE_OK, gpuae_model_decode_cl(model, codes, OUTPUT_OFFSET, COUNT, decoded, OUTPUT_OFFSET));

    /* The caller reads back on its own queue: blocking reads after GpuAe's work, no GpuAe call needed. */
    float *got_codes = malloc(n_codes * sizeof(float)), *got_output = malloc(n_in * sizeof(float));
    float *got_decoded = malloc(n_in * sizeof(float)), *got_scores = malloc(COUNT * sizeof(float));
    CL_CHECK(clEnqueueReadBuffer(cl.queue, codes, CL_TRUE, OUTPUT_OFFSET * sizeof(float), n_codes * sizeof(float), got_codes, 0, NULL, NULL));
    CL_CHECK(clEnqueueReadBuffer(cl.queue, output, CL_TRUE, OUTPUT_OFFSET * sizeof(float), n_in * sizeof(float), got_output, 0, NULL, NULL));
    CL_CHECK(clEnqueueReadBuffer(cl.queue, decoded, CL_TRUE, OUTPUT_OFFSET * sizeof(float), n_in * sizeof(float), got_decoded, 0, NULL, NULL));
    CL_CHECK(clEnqueueReadBuffer(cl.queue, scores, CL_TRUE, OUTPUT_OFFSET * sizeof(float), COUNT * sizeof(float), got_scores, 0, NULL, NULL));
    CHECK_STATUS(GPUAE_OK, gpuae_context_synchronize(context));

    /* 1. A GpuAe-owned OpenCL context on the same device (index 0: the first device of the first platform), through
     *    the host-pointer calls: the same plans on the same device, so the same bits; the scores are float on the
     *    device and double on the host (same squared differences, summed in another precision and order). */
    host_results own = {0};
    if (host_run("opencl", preset, samples, &own)) {
        CHECK(same_bits("codes vs GpuAe-owned OpenCL", got_codes, own.codes, n_codes));
        CHECK(same_bits("reconstruction vs GpuAe-owned OpenCL", got_output, own.output, n_in));
        double *scores_d = malloc(COUNT * sizeof(double));
        for (size_t i = 0; i < COUNT; i++) scores_d[i] = own.scores[i];
        CHECK(within("scores (float, device) vs GpuAe-owned OpenCL (double, host)", got_scores, scores_d, COUNT, 1e-7, 1e-5));
        free(scores_d);
        free_results(&own);
    } else CHECK(!"a GpuAe-owned OpenCL context on device 0");

    /* 2. The CPU backend (the reference): within the tolerance. */
    host_results cpu = {0};
    CHECK(host_run("cpu", preset, samples, &cpu));
    double *ref = malloc((n_in > n_codes ? n_in : n_codes) * sizeof(double));   /* a conv code may be larger than a sample */
    to_double(cpu.codes, ref, n_codes);
    CHECK(within("codes vs CPU", got_codes, ref, n_codes, TOLERANCE_ABS, TOLERANCE_REL));
    to_double(cpu.output, ref, n_in);
    CHECK(within("reconstruction vs CPU", got_output, ref, n_in, TOLERANCE_ABS, TOLERANCE_REL));
    CHECK(within("scores vs CPU", got_scores, cpu.scores, COUNT, TOLERANCE_ABS, TOLERANCE_REL));
    /* decode(encode(x)) runs the decoder on the codes reconstruct(x) decodes, when the model neither adds noise nor
     * samples its latent (dense32; not denoise or vae) */
    if (strcmp(preset, "dense32") == 0) {
        CHECK(within("decode(encode(x)) vs CPU reconstruction", got_decoded, ref, n_in, TOLERANCE_ABS, TOLERANCE_REL));
        int decode_bits = same_bits("decode(encode(x)) vs reconstruct(x) on the caller's queue", got_decoded, got_output, n_in);
        printf("decode(encode(x)) %s reconstruct(x) bit for bit\n", decode_bits ? "equals" : "differs from");
    }
    free(ref);
    free_results(&cpu);

    error_paths(&cl, context, model, input, codes, code_size);
    device_step(&cl, context, preset, input, samples, input_size, code_size);

    /* After GpuAe is gone the caller's queue, context and buffers still work. */
    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    float probe = 0;
    CL_CHECK(clEnqueueReadBuffer(cl.queue, scores, CL_TRUE, OUTPUT_OFFSET * sizeof(float), sizeof(float), &probe, 0, NULL, NULL));
    CHECK(probe == got_scores[0]);

    clReleaseMemObject(input);
    clReleaseMemObject(codes);
    clReleaseMemObject(output);
    clReleaseMemObject(decoded);
    clReleaseMemObject(scores);
    clReleaseCommandQueue(cl.queue);
    clReleaseContext(cl.context);
    free(samples);
    free(got_codes);
    free(got_output);
    free(got_decoded);
    free(got_scores);
    return check_result("opencl_external_queue");
}
