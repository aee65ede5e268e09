/* Trains the dense32 autoencoder on MNIST through libgpuae and writes the codes of test images as a .npy file.
 *
 *   train_mnist MNIST_DIR SAMPLES EPOCHS SEED CODES OUT.npy [BACKEND]
 *
 * MNIST_DIR holds the four IDX files as `gpuae` caches them (~/.cache/gpuae/mnist: train-images-idx3-ubyte,
 * t10k-images-idx3-ubyte, uncompressed). Trains on the first SAMPLES training images for EPOCHS epochs with the
 * preset's recipe and SEED, prints the losses per epoch, writes the codes of the first CODES test images to OUT.npy
 * (float32, CODES x 32) and saves the model as OUT.safetensors (readable by `gpuae encode --from`).
 * BACKEND: cpu (default), opencl, cuda or auto. With the CPU backend the results are `gpuae train`'s bit for bit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpuae.h"

/* Stops on a failed call, with the library's message. */
#define TRY(call) do { \
    gpuae_status status_ = (call); \
    if (status_ != GPUAE_OK) { \
        fprintf(stderr, "%s failed: %s (%s)\n", #call, gpuae_last_error(), gpuae_status_string(status_)); \
        exit(1); \
    } \
} while (0)

static uint32_t big_endian(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The first `count` images of an IDX image file as floats in [0, 1] (pixel / 255, as GpuAe reads MNIST). */
static float *read_images(const char *folder, const char *name, size_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) { fprintf(stderr, "cannot open %s (fetch MNIST with .ci/fetch-mnist.sh)\n", path); exit(1); }
    unsigned char header[16];
    if (fread(header, 1, 16, f) != 16) { fprintf(stderr, "%s: shorter than an IDX header\n", path); exit(1); }
    if (header[0] == 0x1f && header[1] == 0x8b) { fprintf(stderr, "%s is gzip-compressed: gunzip it first\n", path); exit(1); }
    uint32_t images = big_endian(header + 4), rows = big_endian(header + 8), columns = big_endian(header + 12);
    if (big_endian(header) != 0x803 || rows != 28 || columns != 28) {
        fprintf(stderr, "%s: not an IDX file of 28x28 images\n", path);
        exit(1);
    }
    if (count > images) { fprintf(stderr, "%s holds %u images, %zu asked for\n", path, images, count); exit(1); }
    unsigned char *pixels = malloc(count * 784);
    float *values = malloc(sizeof(float) * count * 784);
    if (fread(pixels, 1, count * 784, f) != count * 784) { fprintf(stderr, "%s: truncated\n", path); exit(1); }
    fclose(f);
    for (size_t i = 0; i < count * 784; i++) values[i] = pixels[i] / 255.0f;
    free(pixels);
    return values;
}

/* A rows x columns float32 matrix as NumPy's .npy version 1.0 (little-endian host assumed). */
static void write_npy(const char *path, const float *values, size_t rows, size_t columns) {
    char header[128];
    int length = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, columns);
    int padded = (10 + length + 1 + 63) / 64 * 64 - 10; /* header + '\n', so that the data starts 64-byte aligned */
    memset(header + length, ' ', (size_t)(padded - length - 1));
    header[padded - 1] = '\n';
    FILE *f = fopen(path, "wb");
    if (f == NULL) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
    unsigned char prefix[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(padded & 0xff), (unsigned char)(padded >> 8) };
    fwrite(prefix, 1, sizeof prefix, f);
    fwrite(header, 1, (size_t)padded, f);
    fwrite(values, sizeof(float), rows * columns, f);
    fclose(f);
}

/* Progress: a line at every tenth of the epoch. Returning nonzero would cancel the epoch. */
static int report(void *user_data, uint64_t step, uint64_t steps) {
    const int *epoch = user_data;
    if (step * 10 / steps != (step - 1) * 10 / steps) fprintf(stderr, "\repoch %d: step %llu/%llu", *epoch,
                                                              (unsigned long long)step, (unsigned long long)steps);
    if (step == steps) fputc('\n', stderr);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 7 || argc > 8) {
        fprintf(stderr, "usage: train_mnist MNIST_DIR SAMPLES EPOCHS SEED CODES OUT.npy [cpu|opencl|cuda|auto]\n");
        return 2;
    }
    size_t samples = strtoul(argv[2], NULL, 10), codes_count = strtoul(argv[5], NULL, 10), test_count = 10000;
    int epochs = atoi(argv[3]), seed = atoi(argv[4]);
    if (!GPUAE_CHECK_VERSION()) { fprintf(stderr, "libgpuae is older than gpuae.h (API level %u)\n", gpuae_api_version()); return 1; }
    float *train = read_images(argv[1], "train-images-idx3-ubyte", samples);
    float *test = read_images(argv[1], "t10k-images-idx3-ubyte", test_count);

    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    gpuae_trainer *trainer = NULL;
    TRY(gpuae_context_create(argc > 7 ? argv[7] : "cpu", 0, &context));
    TRY(gpuae_model_create_preset(context, "dense32", seed, &model));
    TRY(gpuae_trainer_create(model, NULL, &trainer)); /* the preset's recipe: Adam, batch 256 */
    printf("dense32 on %s, %zu training images, seed %d\n", gpuae_context_backend(context), samples, seed);
    for (int epoch = 1; epoch <= epochs; epoch++) {
        double loss = 0, val_loss = 0, val_mse = 0;
        TRY(gpuae_trainer_epoch(trainer, train, samples, report, &epoch, &loss));
        TRY(gpuae_trainer_evaluate(trainer, test, test_count, &val_loss, &val_mse));
        printf("epoch %d: train %.5f  val %.5f  val_mse %.5f\n", epoch, loss, val_loss, val_mse);
    }
    gpuae_trainer_destroy(trainer);

    size_t code_size = 0;
    TRY(gpuae_model_code_size(model, &code_size));
    float *codes = malloc(sizeof(float) * codes_count * code_size);
    TRY(gpuae_model_encode(model, test, codes_count, codes, codes_count * code_size));
    write_npy(argv[6], codes, codes_count, code_size);
    char checkpoint[4096];
    size_t stem = strlen(argv[6]) > 4 && strcmp(argv[6] + strlen(argv[6]) - 4, ".npy") == 0 ? strlen(argv[6]) - 4 : strlen(argv[6]);
    snprintf(checkpoint, sizeof checkpoint, "%.*s.safetensors", (int)stem, argv[6]);
    TRY(gpuae_model_save(model, checkpoint));
    printf("wrote %s (%zu x %zu codes) and %s\n", argv[6], codes_count, code_size, checkpoint);

    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    free(codes);
    free(train);
    free(test);
    return 0;
}
