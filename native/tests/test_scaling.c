/* A checkpoint trained on a CSV file with --scale minmax stores its scaling; the C API applies it to raw rows as
 * `gpuae encode --data FILE.csv` does: the codes of every row equal codes.npy bit for bit, and
 * gpuae_model_input_scaling gives the stored offsets and scales. Arguments: model.safetensors, the CSV file (a
 * header line, then numbers only), codes.npy. */
#include <stdlib.h>
#include "check.h"
#include "files.h"

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: test_scaling MODEL CSV CODES_NPY\n"); return 2; }
    gpuae_context *context = NULL;
    gpuae_model *model = NULL;
    size_t features = 0, code_size = 0, length = 0, npy_length = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    CHECK_STATUS(GPUAE_OK, gpuae_model_load(context, argv[1], &model));
    char *csv = (char *)read_file(argv[2], &length);
    unsigned char *npy = read_file(argv[3], &npy_length);
    if (model == NULL || csv == NULL || npy == NULL) return check_result("test_scaling");
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_size(model, &features));
    CHECK_STATUS(GPUAE_OK, gpuae_model_code_size(model, &code_size));

    /* the raw values, row after row (strtof rounds correctly, as the CSV reader's float parsing does) */
    float *rows = malloc(length * sizeof(float));
    size_t values = 0;
    for (char *at = strchr(csv, '\n') + 1; *at != '\0';) {
        char *end = NULL;
        rows[values++] = strtof(at, &end);
        at = end + (*end == ',' || *end == '\n');
    }
    size_t count = values / features;
    CHECK(count > 0 && count * features == values);

    float *offset = malloc(features * sizeof(float)), *scale = malloc(features * sizeof(float));
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_scaling(model, offset, scale, features));
    CHECK(offset[1] != 0.0f && scale[1] != 1.0f); /* minmax: the training split's minimum and range */

    size_t header = 10 + (size_t)(npy[8] | npy[9] << 8);
    CHECK(npy_length - header == count * code_size * sizeof(float));
    float *codes = malloc(count * code_size * sizeof(float));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, rows, count, codes, count * code_size));
    CHECK(memcmp(codes, npy + header, count * code_size * sizeof(float)) == 0);
    printf("%zu rows x %zu features: codes equal gpuae encode's bit for bit\n", count, features);

    gpuae_model_destroy(model);
    gpuae_context_destroy(context);
    free(codes);
    free(offset);
    free(scale);
    free(rows);
    free(csv);
    free(npy);
    return check_result("test_scaling");
}
