/* Training through the C API gives the bits of `gpuae train` (the C# Trainer) with the same seed and samples:
 *  1. dense32 preset, seed 5, one epoch on the first 2048 MNIST training images: train_loss, val_loss and val_mse
 *     equal reference/metrics.json's, and the codes of the first test images equal reference/codes.npy (`gpuae encode`
 *     of the CLI's checkpoint), so the weights are the same; saved and loaded again, still the same codes. The saved
 *     checkpoint is scratch/trained.safetensors (ctest then encodes it with `gpuae encode --from`).
 *  2. the same spec as JSON, seed 9, recipe {"batch_size": 64, "learning_rate": 0.003} on 512 images: equals
 *     `gpuae train --model SPEC.json --batch 64 --lr 0.003 --seed 9 --train-samples 512` (reference-recipe/).
 * Arguments: train-images-idx3-ubyte t10k-images-idx3-ubyte REFERENCE_DIR RECIPE_REFERENCE_DIR SCRATCH. */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "files.h"

/* The first epoch's value of `key` in a metrics.json written by `gpuae train` (round-trip doubles). */
static double metric(const char *folder, const char *key) {
    char path[4096], pattern[64];
    snprintf(path, sizeof path, "%s/metrics.json", folder);
    size_t length = 0;
    char *json = (char *)read_file(path, &length);
    if (json == NULL) return -1;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, "\"epochs\":");
    at = at == NULL ? NULL : strstr(at, pattern);
    double value = at == NULL ? -1 : strtod(at + strlen(pattern), NULL);
    free(json);
    CHECK(at != NULL);
    return value;
}

static void check_metric(const char *what, double got, const char *folder, const char *key) {
    double expected = metric(folder, key);
    if (got != expected) fprintf(stderr, "%s: %.17g through the C API, %.17g in %s/metrics.json\n", what, got, expected, folder);
    CHECK(got == expected);
}

/* Codes of the first test images equal codes.npy's bit for bit (the samples count is the file's). */
static void check_codes(gpuae_model *model, const float *test, const char *folder) {
    char path[4096];
    snprintf(path, sizeof path, "%s/codes.npy", folder);
    size_t length = 0;
    unsigned char *npy = read_file(path, &length);
    if (npy == NULL) { CHECK(npy != NULL); return; }
    size_t header = 10 + (size_t)(npy[8] | npy[9] << 8), count = (length - header) / sizeof(float);
    float *codes = malloc(length);
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, test, count / 32, codes, count));
    CHECK(memcmp(codes, npy + header, count * sizeof(float)) == 0);
    free(codes);
    free(npy);
}

static int count_steps(void *user_data, uint64_t step, uint64_t steps) {
    uint64_t *calls = user_data;
    (*calls)++;
    return step > steps; /* never: go on */
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: test_train_mnist TRAIN_IMAGES T10K_IMAGES REFERENCE_DIR RECIPE_REFERENCE_DIR SCRATCH\n");
        return 2;
    }
    enum { train_count = 2048, test_count = 10000 };
    float *train = mnist_images(argv[1], train_count), *test = mnist_images(argv[2], test_count);
    gpuae_context *context = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    if (train == NULL || test == NULL || context == NULL) return check_result("test_train_mnist");

    /* 1. the preset, its own recipe */
    gpuae_model *model = NULL, *loaded = NULL;
    gpuae_trainer *trainer = NULL;
    double loss = 0, val_loss = 0, val_mse = 0;
    uint64_t calls = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, "dense32", 5, &model));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(model, NULL, &trainer));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(trainer, train, train_count, count_steps, &calls, &loss));
    CHECK(calls == train_count / 256);
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_evaluate(trainer, test, test_count, &val_loss, &val_mse));
    check_metric("train_loss", loss, argv[3], "train_loss");
    check_metric("val_loss", val_loss, argv[3], "val_loss");
    check_metric("val_mse", val_mse, argv[3], "val_mse");
    check_codes(model, test, argv[3]);
    char path[4096];
    snprintf(path, sizeof path, "%s/trained.safetensors", argv[5]);
    CHECK_STATUS(GPUAE_OK, gpuae_model_save(model, path));
    CHECK_STATUS(GPUAE_OK, gpuae_model_load(context, path, &loaded));
    if (loaded != NULL) check_codes(loaded, test, argv[3]);
    gpuae_model_destroy(loaded);
    gpuae_trainer_destroy(trainer);

    /* 2. the spec as JSON, another seed, a recipe given as JSON */
    const char *spec = NULL;
    gpuae_model *from_spec = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_spec_json(model, &spec));
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_spec(context, spec, 9, &from_spec));
    gpuae_model_destroy(model);
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create_json(from_spec, "{\"batch_size\": 64, \"learning_rate\": 0.003}", &trainer));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(trainer, train, 512, NULL, NULL, &loss));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_evaluate(trainer, test, test_count, &val_loss, &val_mse));
    check_metric("recipe train_loss", loss, argv[4], "train_loss");
    check_metric("recipe val_loss", val_loss, argv[4], "val_loss");
    check_metric("recipe val_mse", val_mse, argv[4], "val_mse");
    gpuae_trainer_destroy(trainer);
    gpuae_model_destroy(from_spec);

    gpuae_context_destroy(context);
    free(train);
    free(test);
    return check_result("test_train_mnist");
}
