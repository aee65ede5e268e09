/* File helpers of the C tests: a whole file in memory, and MNIST images as GpuAe reads them. */
#ifndef GPUAE_TEST_FILES_H
#define GPUAE_TEST_FILES_H
#include <stdio.h>
#include <stdlib.h>

/* The file's bytes, NUL-terminated (*length excludes the NUL); NULL if it cannot be opened. Free with free(). */
static inline unsigned char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) { fprintf(stderr, "cannot open %s\n", path); return NULL; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size + 1);
    *length = fread(data, 1, (size_t)size, f);
    data[*length] = 0;
    fclose(f);
    return data;
}

/* The first `count` images of an IDX image file as floats: pixel / 255f, a correctly rounded division as IdxReader
 * does. NULL if the file is missing or too short. Free with free(). */
static inline float *mnist_images(const char *path, size_t count) {
    size_t length = 0;
    unsigned char *idx = read_file(path, &length);
    if (idx == NULL || length < 16 + count * 784) { free(idx); return NULL; }
    float *images = malloc(sizeof(float) * count * 784);
    for (size_t i = 0; i < count * 784; i++) images[i] = idx[16 + i] / 255.0f;
    free(idx);
    return images;
}
#endif
