/* API level 2 without MNIST: models from spec JSON, save and load, decode, the model queries, recipes (struct and
 * JSON), trainer steps, epochs with a progress callback and cancellation, evaluation; and every error path of these
 * functions returning a status and a message naming the argument or key. CPU backend, dense32, synthetic samples.
 * Argument: a scratch folder. */
#include <math.h>
#include <stdlib.h>
#include "check.h"

enum { input_size = 784, code_size = 32, samples = 96 };
static float data[samples * input_size];

static gpuae_model *preset(gpuae_context *context, int32_t seed) {
    gpuae_model *model = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_preset(context, "dense32", seed, &model));
    return model;
}

static void spec_models(gpuae_context *context) {
    gpuae_model *model = preset(context, 3), *copy = NULL;
    const char *spec = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_spec_json(model, &spec));
    CHECK(spec != NULL && strstr(spec, "\"name\":\"dense32\"") != NULL);
    /* The same spec and seed: the same weights, so the same codes. */
    CHECK_STATUS(GPUAE_OK, gpuae_model_create_spec(context, spec, 3, &copy));
    static float codes[samples * code_size], again[samples * code_size];
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, data, samples, codes, samples * code_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(copy, data, samples, again, samples * code_size));
    CHECK(memcmp(codes, again, sizeof codes) == 0);
    gpuae_model_destroy(copy);

    /* Errors: each names what is wrong; *out stays untouched. */
    copy = (gpuae_model *)0x1;
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context, "{\"name\": \"x\"", 1, &copy));
    CHECK_MESSAGE("model spec JSON is malformed");
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context,
        "{\"name\":\"x\",\"input_shape\":[4],\"layers\":[{\"type\":\"dense\",\"units\":2}],\"code_layer\":0}", 1, &copy));
    CHECK_MESSAGE("missing key 'loss'");
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context,
        "{\"name\":\"x\",\"input_shape\":[4],\"layers\":[{\"type\":\"dense\",\"units\":2}],\"loss\":\"mean_squared_error\",\"code_layer\":5}", 1, &copy));
    CHECK_MESSAGE("code layer 5");
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context,
        "{\"name\":\"x\",\"input_shape\":[4],\"layers\":[{\"type\":\"dense\",\"units\":2}],\"loss\":\"mean_squared_error\",\"code_layer\":0}", 1, &copy));
    CHECK_MESSAGE("the output [2] has 2 values but the input [4] has 4");
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context,
        "{\"name\":\"x\",\"input_shape\":[4],\"layers\":[{\"type\":\"dense3\",\"units\":4}],\"loss\":\"mean_squared_error\",\"code_layer\":0}", 1, &copy));
    CHECK_MESSAGE("'dense3'");
    CHECK_STATUS(GPUAE_ERROR_BAD_FILE, gpuae_model_create_spec(context,
        "{\"name\":\"x\",\"input_shape\":[4],\"layers\":[{\"type\":\"dense\",\"units\":\"4\"}],\"loss\":\"mean_squared_error\",\"code_layer\":0}", 1, &copy));
    CHECK_MESSAGE("the value at $.layers[0].units has the wrong type");
    CHECK(strstr(gpuae_last_error(), "GpuAe.") == NULL); /* no .NET type names */
    CHECK(copy == (gpuae_model *)0x1);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_create_spec(context, NULL, 1, &copy));
    CHECK_MESSAGE("spec_json is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_create_spec(NULL, spec, 1, &copy));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_create_spec(context, spec, 1, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_spec_json(model, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_spec_json(NULL, &spec));
    gpuae_model_destroy(model);
}

static void queries_and_decode(gpuae_context *context) {
    gpuae_model *model = preset(context, 4);
    int32_t seed = 0;
    uint64_t epochs = 9, steps = 9;
    CHECK_STATUS(GPUAE_OK, gpuae_model_seed(model, &seed));
    CHECK(seed == 4);
    CHECK_STATUS(GPUAE_OK, gpuae_model_counters(model, &epochs, &steps));
    CHECK(epochs == 0 && steps == 0);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_seed(model, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_counters(model, &epochs, NULL));
    CHECK_MESSAGE("steps");

    static float offset[input_size], scale[input_size];
    CHECK_STATUS(GPUAE_OK, gpuae_model_input_scaling(model, offset, scale, input_size));
    CHECK(offset[0] == 0.0f && scale[0] == 1.0f && offset[input_size - 1] == 0.0f && scale[input_size - 1] == 1.0f);
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_input_scaling(model, offset, scale, input_size - 1));
    CHECK_MESSAGE("784");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_input_scaling(model, NULL, scale, input_size));

    /* decode(encode(x)) is the reconstruction of x: the same layers on the same rows. */
    enum { n = 5 };
    static float codes[n * code_size], decoded[n * input_size], reconstructed[n * input_size];
    CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, data, n, codes, n * code_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_decode(model, codes, n, decoded, n * input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_reconstruct(model, data, n, reconstructed, n * input_size));
    CHECK(memcmp(decoded, reconstructed, sizeof decoded) == 0);
    decoded[0] = -1.0f;
    CHECK_STATUS(GPUAE_ERROR_BUFFER_TOO_SMALL, gpuae_model_decode(model, codes, n, decoded, n * input_size - 1));
    CHECK_MESSAGE("3920");
    CHECK(decoded[0] == -1.0f);
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_decode(model, NULL, n, decoded, n * input_size));
    CHECK_MESSAGE("codes is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_decode(model, codes, n, NULL, n * input_size));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_decode(NULL, codes, n, decoded, n * input_size));
    CHECK_STATUS(GPUAE_OK, gpuae_model_decode(model, NULL, 0, NULL, 0));
    gpuae_model_destroy(model);
}

static void save_and_load(gpuae_context *context, const char *scratch) {
    gpuae_model *model = preset(context, 5), *loaded = NULL;
    gpuae_trainer *trainer = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(model, NULL, &trainer));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(trainer, data, 32, NULL));
    char path[4096];
    snprintf(path, sizeof path, "%s/stepped.safetensors", scratch);
    CHECK_STATUS(GPUAE_OK, gpuae_model_save(model, path));
    CHECK_STATUS(GPUAE_OK, gpuae_model_load(context, path, &loaded));
    if (loaded != NULL) {
        static float codes[samples * code_size], again[samples * code_size];
        uint64_t epochs = 9, steps = 0;
        int32_t seed = 0;
        CHECK_STATUS(GPUAE_OK, gpuae_model_encode(model, data, samples, codes, samples * code_size));
        CHECK_STATUS(GPUAE_OK, gpuae_model_encode(loaded, data, samples, again, samples * code_size));
        CHECK(memcmp(codes, again, sizeof codes) == 0);
        CHECK_STATUS(GPUAE_OK, gpuae_model_counters(loaded, &epochs, &steps));
        CHECK(epochs == 0 && steps == 1);
        CHECK_STATUS(GPUAE_OK, gpuae_model_seed(loaded, &seed));
        CHECK(seed == 5);
        /* The optimizer state was saved: one more step on each gives the same loss. */
        gpuae_trainer *other = NULL;
        double a = 0, b = 1;
        gpuae_trainer_destroy(trainer);
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(model, NULL, &trainer));
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(loaded, NULL, &other));
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(trainer, data + 32 * input_size, 32, &a));
        CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(other, data + 32 * input_size, 32, &b));
        CHECK(a == b);
        gpuae_trainer_destroy(other);
    }
    CHECK_STATUS(GPUAE_ERROR_NOT_FOUND, gpuae_model_save(model, "/nonexistent/folder/model.safetensors"));
    CHECK_MESSAGE("/nonexistent/folder");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_save(model, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_save(model, ""));
    CHECK_MESSAGE("path is empty");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_save(model, scratch)); /* a folder */
    CHECK_MESSAGE("cannot write the checkpoint");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_model_save(NULL, path));
    gpuae_trainer_destroy(trainer);
    gpuae_model_destroy(loaded);
    gpuae_model_destroy(model);
}

static void recipes(gpuae_context *context) {
    gpuae_model *model = preset(context, 6);
    gpuae_trainer *trainer = (gpuae_trainer *)0x1;
    gpuae_recipe recipe = { sizeof recipe, NULL, 0, 0, 0, 0, 0 };
    CHECK_STATUS(GPUAE_OK, gpuae_model_recipe(model, &recipe));
    CHECK(recipe.struct_size == sizeof recipe);
    CHECK(recipe.optimizer != NULL && strcmp(recipe.optimizer, "adam") == 0);
    CHECK(recipe.learning_rate > 0 && recipe.batch_size == 256 && recipe.epochs == 50 && recipe.noise == 0.0f);
    const char *json = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_model_recipe_json(model, &json));
    CHECK(json != NULL && strstr(json, "\"optimizer\":\"adam\"") != NULL && strstr(json, "\"batch_size\":256") != NULL);

    gpuae_recipe unset = { 0, NULL, 0, 0, 0, 0, 0 };
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_model_recipe(model, &unset));
    CHECK_MESSAGE("struct_size = 0");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &unset, &trainer));
    CHECK_MESSAGE("struct_size");
    gpuae_recipe bad = recipe;
    bad.optimizer = "adamx";
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("'adamx' is not one of");
    CHECK_MESSAGE("rms_prop");
    bad.optimizer = NULL;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("optimizer is NULL");
    bad = recipe;
    bad.batch_size = 0;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("batch size");
    bad = recipe;
    bad.learning_rate = -1;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("learning rate");
    bad = recipe;
    bad.epochs = -2;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("epochs = -2");
    bad = recipe;
    bad.weight_decay = NAN;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &bad, &trainer));
    CHECK_MESSAGE("weight_decay");

    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"learning_rte\": 0.1}", &trainer));
    CHECK_MESSAGE("'learning_rte' is not one of");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"batch_size\": \"64\"}", &trainer));
    CHECK_MESSAGE("'batch_size' holds a string, expected a number");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"optimizer\": \"adamx\"}", &trainer));
    CHECK_MESSAGE("key 'optimizer': 'adamx' is not one of");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"batch_size\": 1.5}", &trainer));
    CHECK_MESSAGE("batch_size");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"batch_size\": 0}", &trainer));
    CHECK_MESSAGE("batch size");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "[1]", &trainer));
    CHECK_MESSAGE("expected a JSON object");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, "{\"batch_size\": ", &trainer));
    CHECK_MESSAGE("recipe_json is not valid JSON");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create_json(model, NULL, &trainer));
    CHECK_MESSAGE("recipe_json is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_trainer_create(NULL, &recipe, &trainer));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, &recipe, NULL));
    CHECK(trainer == (gpuae_trainer *)0x1);

    /* The struct and the JSON spelling of one recipe train the same bits; the model takes the recipe on. */
    gpuae_model *twin = preset(context, 6);
    gpuae_trainer *by_json = NULL;
    recipe.optimizer = "rms_prop";
    recipe.learning_rate = 0.002f;
    recipe.batch_size = 32;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(model, &recipe, &trainer));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create_json(twin, "{\"optimizer\": \"rms_prop\", \"learning_rate\": 0.002, \"batch_size\": 32}", &by_json));
    double a = 0, b = 1;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(trainer, data, samples, NULL, NULL, &a));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(by_json, data, samples, NULL, NULL, &b));
    CHECK(a == b && a > 0);
    CHECK_STATUS(GPUAE_OK, gpuae_model_recipe_json(model, &json));
    CHECK(strstr(json, "\"optimizer\":\"rms_prop\"") != NULL && strstr(json, "\"batch_size\":32") != NULL);
    /* One trainer per model. */
    gpuae_trainer *second = (gpuae_trainer *)0x1;
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_create(model, NULL, &second));
    CHECK_MESSAGE("already has a gpuae_trainer");
    CHECK(second == (gpuae_trainer *)0x1);
    gpuae_trainer_destroy(by_json);
    gpuae_model_destroy(twin);
    /* The trainer keeps its model alive after the model's handle is destroyed. */
    gpuae_model_destroy(model);
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(trainer, data, 8, &a));
    gpuae_trainer_destroy(trainer);
}

typedef struct {
    uint64_t calls, last_step, steps, stop_at;
} progress_log;

static int on_progress(void *user_data, uint64_t step, uint64_t steps) {
    progress_log *log = user_data;
    log->calls++;
    log->last_step = step;
    log->steps = steps;
    return step == log->stop_at;
}

static void steps_epochs_and_cancel(gpuae_context *context) {
    gpuae_model *model = preset(context, 8), *twin = preset(context, 8);
    gpuae_trainer *trainer = NULL, *other = NULL;
    gpuae_recipe recipe = { sizeof recipe, NULL, 0, 0, 0, 0, 0 };
    CHECK_STATUS(GPUAE_OK, gpuae_model_recipe(model, &recipe));
    recipe.batch_size = 16;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(model, &recipe, &trainer));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create(twin, &recipe, &other));
    if (trainer == NULL || other == NULL) return;

    /* A step's loss is the batch's loss before the update (the evaluation plan computes the same mean). */
    double before = 0, step_loss = 0, after = 0;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_evaluate(trainer, data, 16, &before, NULL));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(trainer, data, 16, &step_loss));
    CHECK(fabs(step_loss - before) <= 1e-5 * before);
    for (int i = 0; i < 20; i++) CHECK_STATUS(GPUAE_OK, gpuae_trainer_step(trainer, data, 16, NULL));
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_evaluate(trainer, data, 16, &after, NULL));
    CHECK(after < before);

    /* Cancelled after step 2 of 6: two steps stay, the epoch count does not advance. */
    progress_log log = { 0, 0, 0, 2 };
    uint64_t epochs = 9, steps = 0;
    double loss = -1;
    CHECK_STATUS(GPUAE_ERROR_CANCELLED, gpuae_trainer_epoch(other, data, samples, on_progress, &log, &loss));
    CHECK_MESSAGE("after step 2 of 6");
    CHECK(loss == -1);
    CHECK(log.calls == 2 && log.steps == 6);
    CHECK_STATUS(GPUAE_OK, gpuae_model_counters(twin, &epochs, &steps));
    CHECK(epochs == 0 && steps == 2);
    /* and the model goes on: a whole epoch, every step reported */
    log = (progress_log){ 0, 0, 0, 0 };
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(other, data, samples, on_progress, &log, &loss));
    CHECK(log.calls == 6 && log.last_step == 6 && log.steps == 6 && loss > 0);
    CHECK_STATUS(GPUAE_OK, gpuae_model_counters(twin, &epochs, &steps));
    CHECK(epochs == 1 && steps == 8);
    /* 95 samples in batches of 16: 5 full batches (the last 15 of the shuffled order are left out), as the C# Trainer cuts them */
    log = (progress_log){ 0, 0, 0, 0 };
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_epoch(other, data, 95, on_progress, &log, NULL));
    CHECK(log.calls == 5 && log.steps == 5);

    double mse = -1;
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_evaluate(other, data, samples, &loss, &mse));
    CHECK(loss > 0 && mse > 0 && mse < loss);

    /* Errors */
    loss = -1;
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_trainer_step(NULL, data, 16, &loss));
    CHECK_MESSAGE("trainer is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_trainer_step((gpuae_trainer *)model, data, 16, &loss));
    CHECK_MESSAGE("not a gpuae_trainer");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_step(trainer, NULL, 16, &loss));
    CHECK_MESSAGE("batch is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_step(trainer, data, 0, &loss));
    CHECK_MESSAGE("count = 0");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_epoch(trainer, NULL, samples, NULL, NULL, &loss));
    CHECK_MESSAGE("samples is NULL");
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_epoch(trainer, data, 0, NULL, NULL, &loss));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_trainer_epoch(NULL, data, samples, NULL, NULL, &loss));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_evaluate(trainer, NULL, samples, &loss, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_ARGUMENT, gpuae_trainer_evaluate(trainer, data, 0, &loss, NULL));
    CHECK_STATUS(GPUAE_ERROR_INVALID_HANDLE, gpuae_trainer_evaluate(NULL, data, samples, &loss, NULL));
    CHECK(loss == -1);
    gpuae_trainer_destroy(NULL);

    /* A learning rate that blows up: DIVERGED, not an internal error. */
    gpuae_trainer_destroy(trainer);
    CHECK_STATUS(GPUAE_OK, gpuae_trainer_create_json(model, "{\"optimizer\": \"sgd\", \"learning_rate\": 1e30}", &trainer));
    gpuae_status status = GPUAE_OK;
    for (int i = 0; i < 5 && status == GPUAE_OK; i++) status = gpuae_trainer_step(trainer, data, 16, &loss);
    CHECK_STATUS(GPUAE_ERROR_DIVERGED, status);
    CHECK_MESSAGE("lower the learning rate");
    CHECK(strcmp(gpuae_status_string(GPUAE_ERROR_DIVERGED), "training diverged") == 0);
    CHECK(strcmp(gpuae_status_string(GPUAE_ERROR_CANCELLED), "cancelled") == 0);

    gpuae_trainer_destroy(trainer);
    gpuae_trainer_destroy(other);
    gpuae_model_destroy(model);
    gpuae_model_destroy(twin);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_training_api SCRATCH\n"); return 2; }
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) data[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    CHECK(gpuae_api_version() >= 2);
    gpuae_context *context = NULL;
    CHECK_STATUS(GPUAE_OK, gpuae_context_create("cpu", 0, &context));
    if (context == NULL) return check_result("test_training_api");
    spec_models(context);
    queries_and_decode(context);
    save_and_load(context, argv[1]);
    recipes(context);
    steps_epochs_and_cancel(context);
    gpuae_context_destroy(context);
    return check_result("test_training_api");
}
