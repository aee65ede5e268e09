// gpuae.hpp: the RAII wrappers free what they own (also under memcheck), errors arrive as gpuae::error with the
// status and message, a progress lambda cancels an epoch, and an exception thrown in it comes back out of epoch().
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gpuae.hpp"

static int failures = 0;
#define EXPECT(cond) do { if (!(cond)) { std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

// Runs `body`, which must throw gpuae::error with `status` and a message containing `part`.
template <typename Body>
static void expect_error(gpuae_status status, const char *part, Body body) {
    try {
        body();
        std::fprintf(stderr, "no gpuae::error (expected status %d)\n", (int)status);
        failures++;
    } catch (const gpuae::error &e) {
        EXPECT(e.status() == status);
        if (std::strstr(e.what(), part) == nullptr) {
            std::fprintf(stderr, "message \"%s\" does not mention \"%s\"\n", e.what(), part);
            failures++;
        }
    }
}

int main() {
    std::vector<float> data(64 * 784);
    for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;

    expect_error(GPUAE_ERROR_NOT_FOUND, "'tpu'", [] { gpuae::context("tpu"); });
    gpuae::context cpu("cpu");
    EXPECT(cpu.backend() == "cpu");
    expect_error(GPUAE_ERROR_NOT_FOUND, "dense32", [&] { gpuae::model::preset(cpu, "dense33", 1); });

    gpuae::model model = gpuae::model::preset(cpu, "dense32", 2);
    EXPECT(model.input_size() == 784 && model.code_size() == 32);
    std::vector<float> codes = model.encode(data.data(), 4);
    EXPECT(codes.size() == 4 * 32);
    EXPECT(model.decode(codes.data(), 4) == model.reconstruct(data.data(), 4));
    gpuae::model copy = gpuae::model::from_spec(cpu, model.spec_json(), 2);
    EXPECT(copy.encode(data.data(), 4) == codes);

    {
        gpuae_recipe recipe = model.recipe();
        recipe.batch_size = 16;
        gpuae::trainer trainer(model, recipe);
        EXPECT(trainer.step(data.data(), 16) > 0);
        uint64_t seen = 0;
        expect_error(GPUAE_ERROR_CANCELLED, "after step 2 of 4", [&] {
            trainer.epoch(data.data(), 64, [&](uint64_t step, uint64_t) { seen = step; return step < 2; });
        });
        EXPECT(seen == 2);
        try {
            trainer.epoch(data.data(), 64, [](uint64_t, uint64_t) -> bool { throw std::logic_error("host says stop"); });
            failures++;
        } catch (const std::logic_error &e) {
            EXPECT(std::strcmp(e.what(), "host says stop") == 0);
        }
        double loss = trainer.epoch(data.data(), 64);
        auto [val_loss, val_mse] = trainer.evaluate(data.data(), 64);
        EXPECT(loss > 0 && val_loss > 0 && val_mse > 0);
        expect_error(GPUAE_ERROR_INVALID_ARGUMENT, "already has a gpuae_trainer", [&] { gpuae::trainer second(model); });
    }
    expect_error(GPUAE_ERROR_INVALID_ARGUMENT, "'learning_rte'", [&] { gpuae::trainer t(model, std::string("{\"learning_rte\": 1}")); });
    gpuae::trainer by_json(model, std::string("{\"learning_rate\": 0.01}"));
    EXPECT(model.recipe_json().find("\"learning_rate\":0.01") != std::string::npos);

    if (failures) std::fprintf(stderr, "test_cpp: %d check(s) failed\n", failures);
    else std::printf("test_cpp: all checks passed\n");
    return failures ? 1 : 0;
}
