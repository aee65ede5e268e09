/* One context per thread: two threads, each with its own CPU context and model of the same preset and seed,
 * train (steps and an epoch) and encode at the same time and get the loss and codes a single thread gets; each
 * thread's gpuae_last_error is its own. */
#include <pthread.h>
#include <stdlib.h>
#include "check.h"

enum { samples = 64, code_size = 32, input_size = 784 };
static float input[samples * input_size];

typedef struct {
    float codes[samples * code_size];
    double loss;
    gpuae_status status;
    int own_message; /* this thread's failure left this thread's message */
} job;

/* Two steps and an epoch (batches of 16), then the codes. */
static gpuae_status train_and_encode(float *codes, double *loss) {
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    gpuae_trainer *trainer = NULL;
    gpuae_status status = gpuae_context_create("cpu", 0, &context);
    if (status == GPUAE_OK) status = gpuae_model_create_preset(context, "dense32", 11, &model);
    if (status == GPUAE_OK) status = gpuae_trainer_create_json(model, "{\"batch_size\": 16}", &trainer);
    for (int step = 0; step < 2 && status == GPUAE_OK; step++) status = gpuae_trainer_step(trainer, input + step * 16 * input_size, 16, NULL);
    if (status == GPUAE_OK) status = gpuae_trainer_epoch(trainer, input, samples, NULL, NULL, loss);
    for (int round = 0; round < 5 && status == GPUAE_OK; round++)
        status = gpuae_model_encode(model, input, samples, codes, samples * code_size);
    gpuae_trainer_destroy(trainer);
    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    return status;
}

static void *run(void *argument) {
    job *j = argument;
    j->status = train_and_encode(j->codes, &j->loss);
    gpuae_context *unused = NULL;
    gpuae_context_create("no-such-backend", 0, &unused);
    j->own_message = strstr(gpuae_last_error(), "no-such-backend") != NULL;
    return NULL;
}

int main(void) {
    for (size_t i = 0; i < sizeof input / sizeof input[0]; i++) input[i] = (float)((i * 40503u) % 997) / 997.0f;
    static float reference[samples * code_size];
    double loss = 0;
    CHECK_STATUS(GPUAE_OK, train_and_encode(reference, &loss));
    CHECK(strcmp(gpuae_last_error(), "") == 0); /* nothing failed on the main thread yet */

    static job jobs[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) CHECK(pthread_create(&threads[t], NULL, run, &jobs[t]) == 0);
    for (int t = 0; t < 2; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    for (int t = 0; t < 2; t++) {
        CHECK(jobs[t].status == GPUAE_OK);
        CHECK(memcmp(jobs[t].codes, reference, sizeof reference) == 0);
        CHECK(jobs[t].loss == loss && loss > 0);
        CHECK(jobs[t].own_message);
    }
    CHECK(strcmp(gpuae_last_error(), "") == 0); /* the threads' failures are not the main thread's */
    return check_result("test_threads");
}
