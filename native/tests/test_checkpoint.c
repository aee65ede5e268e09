/* A trained checkpoint through the C API: its codes equal, bit for bit, the codes.npy that `gpuae encode
 * --backend cpu` wrote for the first samples of the MNIST test set; corrupt and truncated copies of the
 * checkpoint are GPUAE_ERROR_BAD_FILE. Arguments: model.safetensors, t10k-images-idx3-ubyte, codes.npy, a
 * scratch folder. */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "files.h"

static void write_file(const char *path, const unsigned char *data, size_t length) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, length, f);
    fclose(f);
}

/* A float32 .npy file's values (version 1.0 header: magic, 2 version bytes, uint16 header length). */
static const float *npy_values(const unsigned char *npy, size_t length, size_t *count) {
    size_t header = 10 + (size_t)(npy[8] | npy[9] << 8);
    CHECK(memcmp(npy, "\x93NUMPY", 6) == 0 && strstr((const char *)npy + 10, "'<f4'") != NULL);
    *count = (length - header) / sizeof(float);
    return (const float *)(npy + header);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: test_checkpoint MODEL T10K_IMAGES CODES_NPY SCRATCH\n"); return 2; }
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    CHECK_STATUS(GPUAE_OK, gpuae_model_load(context, argv[1], &model));
    size_t npy_length = 0, expected_count = 0, code_size = 0;
    unsigned char *npy = read_file(argv[3], &npy_length);
    if (model == NULL || npy == NULL) return check_result("test_checkpoint");
    const float *expected = npy_values(npy, npy_length, &expected_count);
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &code_size));
    size_t samples = expected_count / code_size;
    CHECK(samples > 0 && samples * code_size == expected_count);
    float *images = mnist_images(argv[2], samples);
    CHECK(images != NULL);
    float *codes = malloc(sizeof(float) * expected_count);
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, images, samples, codes, expected_count));
    size_t differing = 0;
    for (size_t i = 0; i < expected_count; i++) differing += memcmp(&codes[i], &expected[i], sizeof(float)) != 0;
    if (differing) fprintf(stderr, "%zu of %zu code values differ from gpuae encode's, e.g. %.9g vs %.9g\n", differing,
                           expected_count, codes[0], expected[0]);
    CHECK(differing == 0);
    printf("%zu samples x %zu code values equal gpuae encode's bit for bit\n", samples, code_size);
    gpuae_model_destroy(model);

    /* Corrupt checkpoints: truncated, and with a garbage header. */
    size_t length = 0;
    unsigned char *file = read_file(argv[1], &length);
    char path[4096];
    snprintf(path, sizeof path, "%s/truncated.safetensors", argv[4]);
    write_file(path, file, length / 2);
    model = (gpuae_model *)0x1;
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_load(context, path, &model));
    CHECK_MESSAGE("truncated.safetensors");
    CHECK(model == (gpuae_model *)0x1);
    memset(file + 8, '#', 32);
    snprintf(path, sizeof path, "%s/garbled.safetensors", argv[4]);
    write_file(path, file, length);
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_load(context, path, &model));
    CHECK_MESSAGE("garbled.safetensors");

    gpuae_context_destroy(context);
    free(file);
    free(codes);
    free(images);
    free(npy);
    return check_result("test_checkpoint");
}
