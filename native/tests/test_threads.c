/* One context per thread: two threads, each with its own CPU context and model of the same preset and seed,
 * encode at the same time and get the codes a single thread gets; each thread's gpuae_last_error is its own. */
#include <pthread.h>
#include <stdlib.h>
#include "check.h"

enum { samples = 64, code_size = 32, input_size = 784 };
static float input[samples * input_size];

typedef struct {
    float codes[samples * code_size];
    gpuae_status status;
    int own_message; /* this thread's failure left this thread's message */
} job;

static gpuae_status encode(float *codes) {
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    gpuae_status status = gpuae_context_create("cpu", 0, &context);
    if (status == GPUAE_OK) status = gpuae_model_create_preset(context, "dense32", 11, &model);
    for (int round = 0; round < 5 && status == GPUAE_OK; round++)
        status = gpuae_model_encode(model, input, samples, codes, samples * code_size);
    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    return status;
}

static void *run(void *argument) {
    job *j = argument;
    j->status = encode(j->codes);
    gpuae_context *unused = NULL;
    gpuae_context_create("no-such-backend", 0, &unused);
    j->own_message = strstr(gpuae_last_error(), "no-such-backend") != NULL;
    return NULL;
}

int main(void) {
    for (size_t i = 0; i < sizeof input / sizeof input[0]; i++) input[i] = (float)((i * 40503u) % 997) / 997.0f;
    static float reference[samples * code_size];
    CHECK_STATUS(GPUAE_OK, encode(reference));
    CHECK(strcmp(gpuae_last_error(), "") == 0); /* nothing failed on the main thread yet */

    static job jobs[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) CHECK(pthread_create(&threads[t], NULL, run, &jobs[t]) == 0);
    for (int t = 0; t < 2; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    for (int t = 0; t < 2; t++) {
        CHECK(jobs[t].status == GPUAE_OK);
        CHECK(memcmp(jobs[t].codes, reference, sizeof reference) == 0);
        CHECK(jobs[t].own_message);
    }
    CHECK(strcmp(gpuae_last_error(), "") == 0); /* the threads' failures are not the main thread's */
    return check_result("test_threads");
}
