// gpuae.hpp: C++17 RAII wrappers of the C API in gpuae.h (header-only; link libgpuae as for C).
//
// Each handle is a move-only owner that frees it in its destructor (context, model, trainer); a failed call throws
// gpuae::error, which carries the status and gpuae_last_error()'s message. The ownership and threading rules are the
// C API's (gpuae.h): one thread at a time per context with its models and trainers; a model keeps its context alive
// and a trainer its model, so destruction order does not matter.
//
//   gpuae::context cpu("cpu");
//   gpuae::model model = gpuae::model::preset(cpu, "dense32", 1);
//   gpuae::trainer trainer(model);
//   double loss = trainer.epoch(images, count, [](uint64_t step, uint64_t steps) { return true; /* go on */ });
//   std::vector<float> codes = model.encode(images, count);
#ifndef GPUAE_HPP
#define GPUAE_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gpuae.h"

namespace gpuae {

// A failed call: what() is gpuae_last_error()'s message, status() the gpuae_status.
class error : public std::runtime_error {
public:
    error(gpuae_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    gpuae_status status() const noexcept { return status_; }

private:
    gpuae_status status_;
};

// Throws gpuae::error for anything but GPUAE_OK.
inline void check(gpuae_status status) {
    if (status != GPUAE_OK) throw error(status, gpuae_last_error());
}

namespace detail {
template <typename T, void (*Destroy)(T *)>
struct deleter {
    void operator()(T *handle) const noexcept { Destroy(handle); }
};
}  // namespace detail

// A backend on one device ("cpu", "opencl", "cuda", "auto").
class context {
public:
    explicit context(const std::string &backend, int32_t device = 0) {
        gpuae_context *raw = nullptr;
        check(gpuae_context_create(backend.c_str(), device, &raw));
        handle_.reset(raw);
    }
    std::string backend() const { return gpuae_context_backend(handle_.get()); }
    gpuae_context *get() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<gpuae_context, detail::deleter<gpuae_context, gpuae_context_destroy>> handle_;
};

// The recipe, as gpuae_recipe with its struct_size set.
inline gpuae_recipe empty_recipe() {
    gpuae_recipe recipe{};
    recipe.struct_size = sizeof recipe;
    return recipe;
}

// A model: weights and plans on a context.
class model {
public:
    static model preset(const context &on, const std::string &name, int32_t seed) {
        gpuae_model *raw = nullptr;
        check(gpuae_model_create_preset(on.get(), name.c_str(), seed, &raw));
        return model(raw);
    }
    static model from_spec(const context &on, const std::string &spec_json, int32_t seed) {
        gpuae_model *raw = nullptr;
        check(gpuae_model_create_spec(on.get(), spec_json.c_str(), seed, &raw));
        return model(raw);
    }
    static model load(const context &on, const std::string &path) {
        gpuae_model *raw = nullptr;
        check(gpuae_model_load(on.get(), path.c_str(), &raw));
        return model(raw);
    }

    void save(const std::string &path) const { check(gpuae_model_save(get(), path.c_str())); }
    size_t input_size() const { return query(gpuae_model_input_size); }
    size_t code_size() const { return query(gpuae_model_code_size); }
    uint64_t parameter_count() const {
        uint64_t count = 0;
        check(gpuae_model_parameter_count(get(), &count));
        return count;
    }
    std::string spec_json() const { return text(gpuae_model_spec_json); }
    std::string recipe_json() const { return text(gpuae_model_recipe_json); }
    gpuae_recipe recipe() const {
        gpuae_recipe recipe = empty_recipe();
        check(gpuae_model_recipe(get(), &recipe));
        return recipe;
    }

    // count samples of input_size() values -> count codes of code_size() values.
    std::vector<float> encode(const float *input, size_t count) const {
        std::vector<float> codes(count * code_size());
        check(gpuae_model_encode(get(), input, count, codes.data(), codes.size()));
        return codes;
    }
    std::vector<float> reconstruct(const float *input, size_t count) const {
        std::vector<float> output(count * input_size());
        check(gpuae_model_reconstruct(get(), input, count, output.data(), output.size()));
        return output;
    }
    std::vector<float> decode(const float *codes, size_t count) const {
        std::vector<float> output(count * input_size());
        check(gpuae_model_decode(get(), codes, count, output.data(), output.size()));
        return output;
    }
    std::vector<double> reconstruction_error(const float *input, size_t count) const {
        std::vector<double> scores(count);
        check(gpuae_model_reconstruction_error(get(), input, count, scores.data(), scores.size()));
        return scores;
    }

    gpuae_model *get() const noexcept { return handle_.get(); }

private:
    explicit model(gpuae_model *raw) : handle_(raw) {}
    size_t query(gpuae_status (*call)(const gpuae_model *, size_t *)) const {
        size_t value = 0;
        check(call(get(), &value));
        return value;
    }
    std::string text(gpuae_status (*call)(const gpuae_model *, const char **)) const {
        const char *value = nullptr;
        check(call(get(), &value));
        return value;
    }
    std::unique_ptr<gpuae_model, detail::deleter<gpuae_model, gpuae_model_destroy>> handle_;
};

// Training of a model. The progress function gets (step, steps) after every step; returning false cancels the
// epoch (gpuae::error with GPUAE_ERROR_CANCELLED). An exception it throws is caught, cancels the epoch, and is
// rethrown from epoch() (it never crosses the C library).
class trainer {
public:
    using progress = std::function<bool(uint64_t step, uint64_t steps)>;

    // With the model's own recipe, another one, or the keys a JSON object changes ({"learning_rate": 0.01}).
    explicit trainer(const model &of) : handle_(make([&](gpuae_trainer **out) { return gpuae_trainer_create(of.get(), nullptr, out); })) {}
    trainer(const model &of, const gpuae_recipe &recipe)
        : handle_(make([&](gpuae_trainer **out) { return gpuae_trainer_create(of.get(), &recipe, out); })) {}
    trainer(const model &of, const std::string &recipe_json)
        : handle_(make([&](gpuae_trainer **out) { return gpuae_trainer_create_json(of.get(), recipe_json.c_str(), out); })) {}

    double step(const float *batch, size_t count) {
        double loss = 0;
        check(gpuae_trainer_step(get(), batch, count, &loss));
        return loss;
    }

    double epoch(const float *samples, size_t count, progress on_step = nullptr) {
        double loss = 0;
        callback state{&on_step, nullptr};
        gpuae_status status = gpuae_trainer_epoch(get(), samples, count, on_step ? call : nullptr, &state, &loss);
        if (state.thrown) std::rethrow_exception(state.thrown);
        check(status);
        return loss;
    }

    // Mean loss and MSE per value over the samples.
    std::pair<double, double> evaluate(const float *samples, size_t count) {
        double loss = 0, mse = 0;
        check(gpuae_trainer_evaluate(get(), samples, count, &loss, &mse));
        return {loss, mse};
    }

    gpuae_trainer *get() const noexcept { return handle_.get(); }

private:
    struct callback {
        progress *function;
        std::exception_ptr thrown;
    };
    static int call(void *user_data, uint64_t step, uint64_t steps) {
        auto *state = static_cast<callback *>(user_data);
        try {
            return (*state->function)(step, steps) ? 0 : 1;
        } catch (...) {
            state->thrown = std::current_exception();
            return 1;
        }
    }
    template <typename Create>
    static gpuae_trainer *make(Create create) {
        gpuae_trainer *raw = nullptr;
        check(create(&raw));
        return raw;
    }
    std::unique_ptr<gpuae_trainer, detail::deleter<gpuae_trainer, gpuae_trainer_destroy>> handle_;
};

}  // namespace gpuae

#endif  // GPUAE_HPP
