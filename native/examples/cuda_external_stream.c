/* GpuAe on an engine's own CUDA context and stream (a GPU check: benchmarks/compare/gpu_checks_cuda.sh runs it).
 * Creates its own CUcontext, CUstream and device buffers, hands them to libgpuae and runs encode, reconstruct and
 * reconstruction error from and to its buffers; then reads back on its own stream and compares with a GpuAe-owned CUDA
 * context (the host-pointer calls: the same plans, so the same bits) and the CPU backend (abs + rel * |ref|, below). It
 * also checks that the thread's current context is the caller's own again after every call, and that the caller's
 * stream still works after GpuAe is gone. Exit status 0: all checks passed; 77: no CUDA device here (ctest: skipped).
 *
 *   cuda_external_stream [PRESET]   (default dense32) */
#include <cuda.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "../tests/check.h"

#define COUNT 300
#define OFFSET 5
#define SEED 11
#define TOLERANCE_ABS 1e-5
#define TOLERANCE_REL 1e-4

#define CU_CHECK(call) do { CUresult r_ = (call); if (r_ != CUDA_SUCCESS) { \
    fprintf(stderr, "%s:%d: %s failed: %d\n", __FILE__, __LINE__, #call, (int)r_); exit(2); } } while (0)

static void fill_samples(float *x, size_t n) {
    uint32_t state = 12345u;
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        x[i] = (float)(state >> 8) / (float)(1u << 24);
    }
}

static int within(const char *what, const float *a, const float *ref, size_t n, double abs_tol, double rel_tol) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double excess = fabs((double)a[i] - ref[i]) - (abs_tol + rel_tol * fabs(ref[i]));
        if (i == 0 || excess > worst) { worst = excess; at = i; }
    }
    printf("%s: worst |x - ref| - (%g + %g |ref|) = %.3g (value %zu)\n", what, abs_tol, rel_tol, worst, at);
    return worst <= 0;
}

/* Host-pointer results on a context made by name. */
static void host_run(const char *backend, const char *preset, const float *input, size_t n_in, size_t n_codes,
                     float *codes, float *output, float *scores) {
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    double *s = malloc(COUNT * sizeof(double));
    CHECK_STATUS(GPUAE_OK, gpuae_context_create(backend, 0, &context));
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, preset, SEED, &model));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input, COUNT, codes, n_codes));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct(model, input, COUNT, output, n_in));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruction_error(model, input, COUNT, s, COUNT));
    for (size_t i = 0; i < COUNT; i++) scores[i] = (float)s[i];
    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    free(s);
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "dense32";
    int devices = 0;
    if (cuInit(0) != CUDA_SUCCESS || cuDeviceGetCount(&devices) != CUDA_SUCCESS || devices == 0) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    CUdevice device;
    CUcontext context, current;
    CUstream stream;
    CU_CHECK(cuDeviceGet(&device, 0));
    /* the device's primary context (what the CUDA runtime uses; cuCtxCreate's signature differs between CUDA 11 and 13) */
    CU_CHECK(cuDevicePrimaryCtxRetain(&context, device));
    CU_CHECK(cuCtxPushCurrent(context));
    CU_CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));

    gpuae_context *gctx = NULL;
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create_cuda(context, stream, &gctx));
    if (gctx == NULL) return check_result("cuda_external_stream");
    CHECK(cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == context);
    /* GpuAe pushes the context around its calls: pop ours, so that nothing is current, and see it stays so */
    CU_CHECK(cuCtxPopCurrent(&current));
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(gctx, preset, SEED, &model));
    size_t input_size = 0, code_size = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_size(model, &input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &code_size));
    CHECK(cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == NULL);

    size_t n_in = COUNT * input_size, n_codes = COUNT * code_size;
    float *samples = malloc(n_in * sizeof(float));
    fill_samples(samples, n_in);
    CU_CHECK(cuCtxPushCurrent(context));
    CUdeviceptr input, codes, output, scores;
    CU_CHECK(cuMemAlloc(&input, (OFFSET + n_in) * sizeof(float)));
    CU_CHECK(cuMemAlloc(&codes, (OFFSET + n_codes) * sizeof(float)));
    CU_CHECK(cuMemAlloc(&output, (OFFSET + n_in) * sizeof(float)));
    CU_CHECK(cuMemAlloc(&scores, (OFFSET + COUNT) * sizeof(float)));
    CU_CHECK(cuMemcpyHtoD(input + OFFSET * sizeof(float), samples, n_in * sizeof(float)));
    CU_CHECK(cuCtxPopCurrent(&current));

    CHECK_STATUS(GPUAE_OK, gpuae_model_encode_cu(model, input, OFFSET, COUNT, codes, OFFSET));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct_cu(model, input, OFFSET, COUNT, output, OFFSET));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruction_error_cu(model, input, OFFSET, COUNT, scores, OFFSET));
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_encode_cu(model, input, OFFSET + 1, COUNT, codes, OFFSET));
    CHECK(cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == NULL);

    /* the caller reads back on its own stream */
    float *got_codes = malloc(n_codes * sizeof(float)), *got_output = malloc(n_in * sizeof(float)), *got_scores = malloc(COUNT * sizeof(float));
    CU_CHECK(cuCtxPushCurrent(context));
    CU_CHECK(cuMemcpyDtoHAsync(got_codes, codes + OFFSET * sizeof(float), n_codes * sizeof(float), stream));
    CU_CHECK(cuMemcpyDtoHAsync(got_output, output + OFFSET * sizeof(float), n_in * sizeof(float), stream));
    CU_CHECK(cuMemcpyDtoHAsync(got_scores, scores + OFFSET * sizeof(float), COUNT * sizeof(float), stream));
    CU_CHECK(cuStreamSynchronize(stream));
    CU_CHECK(cuCtxPopCurrent(&current));

    float *ref_codes = malloc(n_codes * sizeof(float)), *ref_output = malloc(n_in * sizeof(float)), *ref_scores = malloc(COUNT * sizeof(float));
    host_run("cuda", preset, samples, n_in, n_codes, ref_codes, ref_output, ref_scores);
    CHECK(memcmp(got_codes, ref_codes, n_codes * sizeof(float)) == 0);
    CHECK(memcmp(got_output, ref_output, n_in * sizeof(float)) == 0);
    CHECK(within("scores vs GpuAe-owned CUDA", got_scores, ref_scores, COUNT, 1e-7, 1e-5));
    host_run("cpu", preset, samples, n_in, n_codes, ref_codes, ref_output, ref_scores);
    CHECK(within("codes vs CPU", got_codes, ref_codes, n_codes, TOLERANCE_ABS, TOLERANCE_REL));
    CHECK(within("reconstruction vs CPU", got_output, ref_output, n_in, TOLERANCE_ABS, TOLERANCE_REL));
    CHECK(within("scores vs CPU", got_scores, ref_scores, COUNT, TOLERANCE_ABS, TOLERANCE_REL));

    gpuae_model_destroy(model);
    gpuae_context_destroy(gctx);
    CHECK(cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == NULL);
    /* the caller's context and stream live on */
    CU_CHECK(cuCtxPushCurrent(context));
    CHECK(cuStreamQuery(stream) == CUDA_SUCCESS);
    CU_CHECK(cuMemFree(input));
    CU_CHECK(cuMemFree(codes));
    CU_CHECK(cuMemFree(output));
    CU_CHECK(cuMemFree(scores));
    CU_CHECK(cuStreamDestroy(stream));
    CU_CHECK(cuCtxPopCurrent(&current));
    CU_CHECK(cuDevicePrimaryCtxRelease(device));
    free(samples);
    free(got_codes);
    free(got_output);
    free(got_scores);
    free(ref_codes);
    free(ref_output);
    free(ref_scores);
    return check_result("cuda_external_stream");
}
