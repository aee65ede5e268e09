/* The C API's contract without a checkpoint: versions, statuses, handles, and every error path returning a
 * status and a message (nothing aborts). Uses the CPU backend and the dense32 preset. */
#include <stdlib.h>
#include "check.h"

static void versions_and_statuses(void) {
    CHECK(gpuae_version() == GPUAE_VERSION_NUMBER);
    CHECK(gpuae_api_version() == GPUAE_API_VERSION);
    CHECK(GPUAE_CHECK_VERSION());
    CHECK(strcmp(gpuae_status_string(GPUAE_OK), "ok") == 0);
    CHECK(strcmp(gpuae_status_string(GPUAE_ERROR_BUFFER_TOO_SMALL), "output buffer too small") == 0);
    CHECK(strcmp(gpuae_status_string((gpuae_status)999), "unknown status") == 0);
    CHECK(gpuae_last_error() != NULL);
}

static void context_errors(void) {
    gpuae_context *context = (gpuae_context *)0x1;
    CHECK_STATUS(GPUAE_ERROR_NOT_FOUND, gpuae_context_create("tpu", 0, &context));
    CHECK_MESSAGE("'tpu'");
    CHECK(context == (gpuae_context *)0x1); /* outputs untouched on failure */
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create(NULL, 0, &context));
    CHECK_MESSAGE("backend");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create("cpu", 0, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_context_create("cpu", -1, &context));
    CHECK_MESSAGE("device = -1");
    /* No OpenCL device 99 anywhere this runs (PoCL has one). */
    CHECK_STATUS(GPUAE_ERROR_BACKEND_UNAVAILABLE, gpuae_context_create("opencl", 99, &context));
    CHECK_MESSAGE("opencl");
    /* CUDA: unavailable without a GPU; with one, a context that works. Either way a status, never an abort. */
    gpuae_status cuda = gpuae_context_create("cuda", 0, &context);
    CHECK(cuda == GPUAE_OK || cuda == GPUAE_ERROR_BACKEND_UNAVAILABLE);
    if (cuda == GPUAE_OK) gpuae_context_destroy(context);
    CHECK(gpuae_context_backend(NULL) == NULL);
    CHECK_MESSAGE("context is NULL");
    gpuae_context_destroy(NULL);
    gpuae_model_destroy(NULL);
}

static void model_errors(gpuae_context *context) {
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_ERROR_NOT_FOUND, gpuae_model_create_preset(context, "dense33", 1, &model));
    CHECK_MESSAGE("dense32"); /* the message lists the presets */
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_create_preset(NULL, "dense32", 1, &model));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_create_preset(context, NULL, 1, &model));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_create_preset(context, "dense32", 1, NULL));
    CHECK_STATUS(GPUAE_ERROR_NOT_FOUND, gpuae_model_load(context, "/nonexistent/model.safetensors", &model));
    CHECK_MESSAGE("/nonexistent/model.safetensors");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_load(context, NULL, &model));
    CHECK(model == NULL);
    size_t size = 0;
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_code_size(NULL, &size));
    CHECK_MESSAGE("model is NULL");
    /* A context handle where a model handle belongs. */
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_code_size((const gpuae_model *)context, &size));
    CHECK_MESSAGE("not a gpuae_model");
}

static void inference(gpuae_context *context) {
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, "dense32", 7, &model));
    if (model == NULL) return;
    size_t channels = 0, height = 0, width = 0, input_size = 0, code_size = 0;
    uint64_t parameters = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_shape(model, &channels, &height, &width));
    CHECK(channels == 1 && height == 28 && width == 28);
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_size(model, &input_size));
    CHECK(input_size == 784);
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &code_size));
    CHECK(code_size == 32);
    CHECK_STATUS(GPUAE_OK, gpuae_model_parameter_count(model, &parameters));
    CHECK(parameters == 784 * 32 + 32 + 32 * 784 + 784);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_input_shape(model, &channels, NULL, &width));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_parameter_count(model, NULL));

    enum { count = 3 };
    float *input = malloc(sizeof(float) * count * 784), codes[count * 32], again[count * 32];
    float *output = malloc(sizeof(float) * count * 784);
    double scores[count];
    for (size_t i = 0; i < count * 784; i++) input[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;

    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input, count, codes, count * 32));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input, count, again, count * 32));
    CHECK(memcmp(codes, again, sizeof codes) == 0); /* deterministic */
    /* One sample alone gives the same code as inside a batch. */
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input + 784, 1, again, 32));
    CHECK(memcmp(codes + 32, again, 32 * sizeof(float)) == 0);
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct(model, input, count, output, count * 784));
    double expected0 = 0;
    for (size_t j = 0; j < 784; j++) { double e = output[j] - input[j]; expected0 += e * e; } /* float difference, as C# */
    expected0 /= 784;
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruction_error(model, input, count, scores, count));
    CHECK(scores[0] == expected0);
    CHECK(scores[1] > 0 && scores[2] > 0);

    /* Wrong sizes and NULL pointers: a status, and nothing written. */
    float sentinel[count * 32];
    for (size_t i = 0; i < count * 32; i++) sentinel[i] = -1.0f;
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_encode(model, input, count, sentinel, count * 32 - 1));
    CHECK_MESSAGE("96");
    CHECK(sentinel[0] == -1.0f);
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_reconstruct(model, input, count, output, 784));
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_reconstruction_error(model, input, count, scores, 2));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_encode(model, NULL, count, codes, count * 32));
    CHECK_MESSAGE("input is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_encode(model, input, count, NULL, count * 32));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_encode(NULL, input, count, codes, count * 32));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, NULL, 0, NULL, 0)); /* nothing to do */

    /* The context may go first: the model keeps the backend alive until it is destroyed too. */
    gpuae_context_destroy(context);
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, input, count, again, count * 32));
    CHECK(memcmp(codes, again, sizeof codes) == 0);
    gpuae_model_destroy(model);
    free(input);
    free(output);
}

int main(void) {
    versions_and_statuses();
    context_errors();
    gpuae_context *context = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    if (context != NULL) {
        CHECK(strcmp(gpuae_context_backend(context), "cpu") == 0);
        model_errors(context);
        inference(context); /* destroys the context */
    }
    /* auto picks a backend that works here (the CPU on a machine without a GPU). */
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("auto", 0, &context));
    if (context != NULL) {
        CHECK(gpuae_context_backend(context) != NULL);
        gpuae_context_destroy(context);
    }
    return check_result("test_api");
}
