/*
 * gpuae.h: the C API of GpuAe (libgpuae.so), autoencoders on CUDA, OpenCL or the CPU.
 * C99; usable from C++ (extern "C"), Rust, Python ctypes, or anything that can call C.
 *
 * Conventions, for every function below:
 *   - Calls return a gpuae_status: GPUAE_OK (0) or an error. On an error gpuae_last_error() holds a one-line
 *     message naming the argument, file or name at fault. No call aborts the process or lets an exception out
 *     (the library catches everything at its boundary); a NULL handle or pointer is an error status, never a
 *     crash. A dangling handle (already destroyed) or a pointer to too little memory cannot be detected: that
 *     is undefined behaviour, as everywhere in C.
 *   - Handles are opaque. Each create/load function names its destroy function; destroy(NULL) does nothing.
 *   - Lengths are counts of values (float or double), not bytes, and are size_t.
 *   - Input pointers are const and only read during the call; the library keeps no pointer to caller memory.
 *   - Output pointers (`out`) are written only on GPUAE_OK.
 *
 * Threads: one context per thread. A context with its models and trainers may be used from any thread, but from
 * one thread at a time (the caller serialises); different contexts on different threads run independently.
 * gpuae_last_error() is per thread.
 *
 * Versions and compatibility: GPUAE_API_VERSION counts the API levels. Functions are only ever appended, never
 * changed or removed; each carries the level it appeared in ("since: 1"). A host checks at start-up that
 * gpuae_api_version() >= GPUAE_API_VERSION (the library is at least as new as the header), e.g. with
 * GPUAE_CHECK_VERSION() below. The API is exported as plain functions rather than one function table: a host
 * that uses a newer function than the library has fails at link or dlsym time, which names the function.
 * Level 2 adds models from a spec JSON string, saving, decoding, model queries and training (trainers, steps,
 * epochs with a progress callback and cancellation, evaluation); and contexts on the caller's OpenCL context +
 * cl_command_queue and CUDA context + CUstream, with inference on caller-owned device buffers (cl_mem, CUdeviceptr):
 * the last section of this header.
 *
 * Input scaling: a checkpoint written by `gpuae train` on a CSV or NumPy file stores the per-feature scaling the
 * model was trained with (x' = (x - offset) / scale, e.g. --scale minmax). Every call that takes samples (encode,
 * reconstruct, reconstruction_error, trainer step/epoch/evaluate) applies it to the caller's raw values, as
 * `gpuae encode` applies it to the files it reads; outputs (reconstructions, decode) are in the scaled space, as
 * `gpuae reconstruct` writes them (gpuae_model_input_scaling gives offset and scale to undo it). A model without
 * a stored scaling (MNIST checkpoints, presets, specs) uses the values as given. gpuae_model_save keeps it.
 */
#ifndef GPUAE_H
#define GPUAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library version of this header: MAJOR*10000 + MINOR*100 + PATCH, as gpuae_version() returns it. */
#define GPUAE_VERSION_MAJOR 0
#define GPUAE_VERSION_MINOR 1
#define GPUAE_VERSION_PATCH 0
#define GPUAE_VERSION_NUMBER (GPUAE_VERSION_MAJOR * 10000 + GPUAE_VERSION_MINOR * 100 + GPUAE_VERSION_PATCH)

/* API level of this header (see "Versions and compatibility" above). */
#define GPUAE_API_VERSION 2

/* Nonzero when the loaded library offers every function of this header. */
#define GPUAE_CHECK_VERSION() (gpuae_api_version() >= GPUAE_API_VERSION)

/* Status of every call. Values are stable; new ones are appended. */
typedef enum gpuae_status {
    GPUAE_OK = 0,
    GPUAE_ERROR_INVALID_ARGUMENT = 1,    /* a NULL pointer, a negative index, an out-of-range value */
    GPUAE_ERROR_INVALID_HANDLE = 2,      /* a NULL handle, or a handle of the wrong kind */
    GPUAE_ERROR_BUFFER_TOO_SMALL = 3,    /* an output length below what the call writes; a device buffer too small */
    GPUAE_ERROR_NOT_FOUND = 4,           /* unknown backend or preset name, missing file */
    GPUAE_ERROR_BAD_FILE = 5,            /* a corrupt or incompatible checkpoint or model description */
    GPUAE_ERROR_BACKEND_UNAVAILABLE = 6, /* no such device, no driver, the runtime failed to start */
    GPUAE_ERROR_OUT_OF_MEMORY = 7,
    GPUAE_ERROR_INTERNAL = 8,            /* a bug in GpuAe: please report it with gpuae_last_error() */
    GPUAE_ERROR_CANCELLED = 9,           /* the progress callback asked to stop (since: 2) */
    GPUAE_ERROR_DIVERGED = 10            /* the training loss became NaN or infinite (since: 2) */
} gpuae_status;

/* A backend on one device. Create: gpuae_context_create. Destroy: gpuae_context_destroy. */
typedef struct gpuae_context gpuae_context;

/* A model (weights and compiled plans) on a context. Create: gpuae_model_create_preset, gpuae_model_create_spec
 * or gpuae_model_load. Destroy: gpuae_model_destroy. */
typedef struct gpuae_model gpuae_model;

/* Training of one model. Create: gpuae_trainer_create or gpuae_trainer_create_json. Destroy:
 * gpuae_trainer_destroy. Since: 2. */
typedef struct gpuae_trainer gpuae_trainer;

/* ---- Library ---------------------------------------------------------------------------------------------- */

/* The library's version, GPUAE_VERSION_NUMBER of the header it was built with. Since: 1. */
uint32_t gpuae_version(void);

/* The library's API level, GPUAE_API_VERSION of the header it was built with. Since: 1. */
uint32_t gpuae_api_version(void);

/* A static English name of a status ("invalid argument"); never NULL, not to be freed. Since: 1. */
const char *gpuae_status_string(gpuae_status status);

/* The message of the most recent failed call on this thread, NUL-terminated UTF-8; "" if none failed yet.
 * Owned by the library; valid until the next failing call on this thread. Never NULL. Since: 1. */
const char *gpuae_last_error(void);

/* ---- Contexts --------------------------------------------------------------------------------------------- */

/* Creates a context on a backend: "cpu", "opencl" (device = the OpenCL device index over all platforms),
 * "cuda" (device = the CUDA ordinal) or "auto" (CUDA device `device`, else OpenCL device `device` if it is a GPU,
 * else the CPU). Unknown name: GPUAE_ERROR_NOT_FOUND; no such device or driver: GPUAE_ERROR_BACKEND_UNAVAILABLE.
 * On success *out is a new context the caller owns; free it with gpuae_context_destroy. Since: 1. */
gpuae_status gpuae_context_create(const char *backend, int32_t device, gpuae_context **out);

/* Releases the caller's context. Models made on it keep it alive: its device resources are freed when the
 * context and all its models are destroyed (in any order). NULL does nothing. Since: 1. */
void gpuae_context_destroy(gpuae_context *context);

/* The backend's name ("cpu", "opencl", "cuda"): the one "auto" chose. Owned by the context, valid while it
 * lives; NULL for a NULL or wrong handle (message in gpuae_last_error). Since: 1. */
const char *gpuae_context_backend(const gpuae_context *context);

/* ---- Models ----------------------------------------------------------------------------------------------- */

/* A new, freshly initialised model of a preset (the names `gpuae presets` lists, e.g. "dense32"), its weights
 * drawn from `seed` exactly as the C# Trainer draws them. Unknown preset: GPUAE_ERROR_NOT_FOUND.
 * On success *out is a new model the caller owns; free it with gpuae_model_destroy. Since: 1. */
gpuae_status gpuae_model_create_preset(gpuae_context *context, const char *preset, int32_t seed, gpuae_model **out);

/* A model from a checkpoint (model.safetensors written by `gpuae train` or the C# Checkpoint.Save). Missing
 * file: GPUAE_ERROR_NOT_FOUND; corrupt or not a GpuAe checkpoint: GPUAE_ERROR_BAD_FILE. The file is read during
 * the call only. On success *out is a new model the caller owns; free it with gpuae_model_destroy. Since: 1. */
gpuae_status gpuae_model_load(gpuae_context *context, const char *path, gpuae_model **out);

/* Frees a model and its device memory. NULL does nothing. Since: 1. */
void gpuae_model_destroy(gpuae_model *model);

/* The per-sample input shape [channels, height, width] (a flat input reads as 1, 1, size). Since: 1. */
gpuae_status gpuae_model_input_shape(const gpuae_model *model, size_t *channels, size_t *height, size_t *width);

/* Values per input sample: channels * height * width. Since: 1. */
gpuae_status gpuae_model_input_size(const gpuae_model *model, size_t *size);

/* Values per code (the latent representation). Since: 1. */
gpuae_status gpuae_model_code_size(const gpuae_model *model, size_t *size);

/* Trainable parameters (weights and biases). Since: 1. */
gpuae_status gpuae_model_parameter_count(const gpuae_model *model, uint64_t *count);

/* ---- Inference from host memory ----------------------------------------------------------------------------
 * `input` holds `count` samples, each gpuae_model_input_size values, NCHW, sample-major (float32, normally in
 * [0, 1]). The output length is checked: below what the call writes is GPUAE_ERROR_BUFFER_TOO_SMALL and nothing
 * is written. count = 0 writes nothing and succeeds (the pointers may then be NULL). The calls block until the
 * results are in the output (they synchronise the context's device). */

/* Codes: count * code_size floats into `codes` (row per sample): the same bits as the C# Trainer.Encode of the
 * same `count` samples on the same backend. (Samples go through in batches of the model's recipe batch size, and
 * a GEMM's rounding may depend on a batch's row count: encoding the samples in other groups may change last bits.)
 * Since: 1. */
gpuae_status gpuae_model_encode(gpuae_model *model, const float *input, size_t count, float *codes, size_t codes_length);

/* Reconstructions: count * input_size floats into `output`. A denoising model reconstructs its evaluation-noised
 * inputs, as Trainer.Reconstruct does. Since: 1. */
gpuae_status gpuae_model_reconstruct(gpuae_model *model, const float *input, size_t count, float *output, size_t output_length);

/* The anomaly score: per sample, the mean squared difference between the clean sample and its reconstruction
 * (count doubles into `scores`), as Trainer.ReconstructionErrors computes it. Since: 1. */
gpuae_status gpuae_model_reconstruction_error(gpuae_model *model, const float *input, size_t count, double *scores, size_t scores_length);

/* ---- Models, level 2 ------------------------------------------------------------------------------------ */

/* A new, freshly initialised model from a model spec JSON string (what `gpuae presets --json NAME` prints and
 * `gpuae train --model FILE.json` reads), its weights drawn from `seed` as the C# Trainer draws them, with the
 * recipe `gpuae train --model FILE.json` starts from (dense32's: see gpuae_model_recipe). Malformed JSON, a
 * missing or unknown key, or layers that do not fit together: GPUAE_ERROR_BAD_FILE, the message naming the key or
 * layer. On success *out is a new model the caller owns; free it with gpuae_model_destroy. Since: 2. */
gpuae_status gpuae_model_create_spec(gpuae_context *context, const char *spec_json, int32_t seed, gpuae_model **out);

/* Writes the model (weights, optimizer state, recipe, seed, epoch and step counts, input scaling) to a checkpoint
 * at `path`, in the format `gpuae train` writes: `gpuae encode --from PATH`, gpuae_model_load and training with
 * `gpuae train --resume` read it. Atomic: a crash leaves the previous file or the new one, never a torn file.
 * A folder that does not exist: GPUAE_ERROR_NOT_FOUND. Since: 2. */
gpuae_status gpuae_model_save(gpuae_model *model, const char *path);

/* Reconstructions of codes: `codes` holds count * code_size floats (row per code, e.g. points of a VAE's latent),
 * count * input_size floats go to `output` (the decoder's output activation applied), as the C# Trainer.Decode
 * computes them. Length checks and count = 0 as for the inference calls above. Since: 2. */
gpuae_status gpuae_model_decode(gpuae_model *model, const float *codes, size_t count, float *output, size_t output_length);

/* The model's spec as JSON (gpuae_model_create_spec reads it back). *json is owned by the model, valid until the
 * model is freed (its memory, not its handle: see gpuae_trainer_create). Since: 2. */
gpuae_status gpuae_model_spec_json(const gpuae_model *model, const char **json);

/* The model's current recipe as JSON, every field (also those gpuae_recipe has no member for yet), in the spelling
 * gpuae_trainer_create_json reads. *json is owned by the model, valid until the model is freed. Since: 2. */
gpuae_status gpuae_model_recipe_json(const gpuae_model *model, const char **json);

/* The seed the model was made with (its initial weights; a trainer's shuffling and noise draw from it too).
 * Since: 2. */
gpuae_status gpuae_model_seed(const gpuae_model *model, int32_t *seed);

/* Completed epochs and optimizer steps taken (Adam's t), over the model's life including its checkpoint's.
 * Since: 2. */
gpuae_status gpuae_model_counters(const gpuae_model *model, uint64_t *epochs, uint64_t *steps);

/* The input scaling (see "Input scaling" at the top): input_size offsets and scales, x' = (x - offset) / scale;
 * 0 and 1 everywhere for a model without one. `length` is the length of each array. Since: 2. */
gpuae_status gpuae_model_input_scaling(const gpuae_model *model, float *offset, float *scale, size_t length);

/* ---- Training (level 2) -------------------------------------------------------------------------------------
 * A trainer trains one model: its steps and epochs update the model's weights, so the model's inference calls,
 * gpuae_model_save and gpuae_model_counters see the training. One trainer per model at a time (a second is
 * GPUAE_ERROR_INVALID_ARGUMENT). The trainer keeps its model alive: gpuae_model_destroy before
 * gpuae_trainer_destroy releases the caller's handle, and the model is freed with the trainer.
 * Threads: a trainer belongs to its model's context; one thread at a time for the context, its models and
 * trainers (see "Threads" at the top).
 * Same seed, recipe, samples and backend give the same bits as the C# Trainer (and `gpuae train`): a model
 * made with gpuae_model_create_preset(context, "dense32", S) and trained for one epoch on the first N MNIST
 * training images has the loss and weights of `gpuae train --model dense32 --seed S --train-samples N --epochs 1`. */

/* The recipe: how a model is trained. Set struct_size = sizeof(gpuae_recipe) first; fill the rest with
 * gpuae_model_recipe and change what you need. Members are only ever appended (a library reads the first
 * struct_size bytes and keeps the model's values for members a caller built against an older header lacks);
 * recipe fields without a member here yet are reachable through gpuae_trainer_create_json. Since: 2. */
typedef struct gpuae_recipe {
    size_t struct_size;     /* sizeof(gpuae_recipe) as the caller was compiled */
    const char *optimizer;  /* "sgd", "momentum", "nesterov", "rms_prop", "adam", "adam_w" (read during the call) */
    float learning_rate;    /* > 0 */
    int32_t batch_size;     /* > 0: samples per step of an epoch (clamped to the sample count), and per evaluation batch */
    int32_t epochs;         /* >= 0: the planned epoch count, stored in checkpoints (`gpuae train --resume`'s target) */
    float weight_decay;     /* >= 0: weight decay of the optimizer step */
    float noise;            /* >= 0: a denoising autoencoder's input noise factor; 0 trains on clean inputs */
} gpuae_recipe;

/* Fills *recipe with the model's current recipe, as many members as recipe->struct_size holds; recipe->optimizer
 * then points at a static string of the library. struct_size below sizeof(gpuae_recipe) of level 2:
 * GPUAE_ERROR_INVALID_ARGUMENT. Since: 2. */
gpuae_status gpuae_model_recipe(const gpuae_model *model, gpuae_recipe *recipe);

/* A trainer on `model` with `recipe` (NULL: the model's current recipe). A recipe other than the model's makes the
 * model continue under it: the weights and epoch count carry over; the optimizer state and step count carry over
 * when the optimizer stays the same, else the optimizer starts fresh (as from a weights-only checkpoint). The seed
 * stays the model's. An unknown optimizer or an invalid value: GPUAE_ERROR_INVALID_ARGUMENT, naming the member.
 * On success *out is a new trainer the caller owns; free it with gpuae_trainer_destroy. Since: 2. */
gpuae_status gpuae_trainer_create(gpuae_model *model, const gpuae_recipe *recipe, gpuae_trainer **out);

/* As gpuae_trainer_create, the recipe as a JSON object whose keys replace the model's current values, e.g.
 * {"learning_rate": 0.01, "batch_size": 128}; the keys are those of gpuae_model_recipe_json (every recipe field).
 * Malformed JSON, an unknown key, a value of the wrong kind or an invalid value: GPUAE_ERROR_INVALID_ARGUMENT, the
 * message naming the key. Since: 2. */
gpuae_status gpuae_trainer_create_json(gpuae_model *model, const char *recipe_json, gpuae_trainer **out);

/* Frees a trainer (and its model, if the caller destroyed the model's handle already). NULL does nothing.
 * Since: 2. */
void gpuae_trainer_destroy(gpuae_trainer *trainer);

/* One optimizer step on a batch the caller gives: `batch` holds `count` samples (count >= 1, any count; not
 * shuffled), input_size values each. *loss (may be NULL) receives the batch's training loss, computed before the
 * update (per value, per image for a VAE), as an epoch sums it: the step of an epoch on the same samples in the
 * same order gives the same bits. The samples are copied to the device during the call. Each distinct count
 * compiles a plan once (kept with the model): steps of a few batch sizes are cheap, of ever new ones not.
 * A NaN or infinite loss: GPUAE_ERROR_DIVERGED (the step was taken). Since: 2. */
gpuae_status gpuae_trainer_step(gpuae_trainer *trainer, const float *batch, size_t count, double *loss);

/* The progress callback of an epoch: called after each step with the steps done (1..steps) and the epoch's step
 * count, on the calling thread. Return 0 to go on, nonzero to stop the epoch. It must not call functions on the
 * trainer, its model or their context. */
typedef int (*gpuae_progress_fn)(void *user_data, uint64_t step, uint64_t steps);

/* One epoch over `count` samples (count >= 1): shuffled with the model's seed and the epoch number and cut into
 * count / batch_size full batches (the rest of the shuffled order is left out; batch_size is clamped to count),
 * exactly as the C# Trainer.TrainEpoch and `gpuae train` do. *loss (may be NULL) receives the mean training loss
 * of the epoch's steps. `progress` (may be NULL) is called after every step with `user_data`. When it returns
 * nonzero the epoch stops with GPUAE_ERROR_CANCELLED: the steps taken stay applied and counted, the epoch count
 * does not advance (the next epoch call reshuffles for the same epoch number), and the model is consistent (it
 * can be saved, evaluated or trained on). A NaN or infinite loss: GPUAE_ERROR_DIVERGED. The samples are copied
 * to the device during the call. Since: 2. */
gpuae_status gpuae_trainer_epoch(gpuae_trainer *trainer, const float *samples, size_t count, gpuae_progress_fn progress,
                                 void *user_data, double *loss);

/* The mean loss (*loss) and mean squared error per value (*mse) of the model over `count` samples (count >= 1), in
 * order, in batches of the recipe's batch_size: `gpuae train`'s val_loss and val_mse for the validation samples.
 * Either output may be NULL. Denoising models are evaluated on their fixed evaluation noise, as in training.
 * Since: 2. */
gpuae_status gpuae_trainer_evaluate(gpuae_trainer *trainer, const float *samples, size_t count, double *loss, double *mse);

/* ---- Running on your own OpenCL queue or CUDA stream (since: 2) -------------------------------------------------
 * For an engine that owns its GPU work: GpuAe runs on the caller's OpenCL context and command queue, or CUDA context
 * and stream, enqueues all its work there, in order with the caller's own, and reads and writes the caller's device
 * buffers (the convention of CLBlast, cuBLAS's cublasSetStream and ONNX Runtime's user compute stream). The handle
 * types are void* (and uint64_t for a CUdeviceptr) so that this header needs no OpenCL or CUDA header: pass your
 * cl_context, cl_command_queue, cl_mem, CUcontext, CUstream as they are.
 *
 * Ownership: GpuAe never creates or destroys the caller's objects.
 *   - OpenCL: gpuae_context_create_opencl retains the cl_context and cl_command_queue (clRetainContext,
 *     clRetainCommandQueue) and releases exactly those references when the context and its models are gone; the
 *     caller may release its own references at any time. cl_mem buffers are not retained: they must live until the
 *     work enqueued on them has run.
 *   - CUDA: nothing is retained (CUDA has no reference counts for contexts and streams): the CUcontext and CUstream
 *     must outlive the gpuae_context and all its models; CUdeviceptr memory must live until the work on it has run.
 *   GpuAe's own memory (weights, plan arenas) is allocated in the caller's context.
 *
 * Synchronisation: the device-buffer calls below only enqueue; they return before the results exist and never wait.
 * The results are ready for any later work on the same queue/stream; for the host, call gpuae_context_synchronize
 * (or wait on the queue/stream yourself). What waits, and only on the context's queue/stream (never device-wide):
 *   - gpuae_context_synchronize;
 *   - the calls that move host memory: the host-pointer calls (gpuae_model_encode, _reconstruct,
 *     _reconstruction_error) and creating or loading a model (its weights): their transfers are blocking reads and
 *     writes on that queue/stream;
 *   - CUDA only: gpuae_model_destroy and gpuae_context_destroy wait for the stream before freeing GpuAe's memory
 *     (cuMemFree itself may synchronise the device, as the CUDA driver does: create and destroy outside hot loops).
 *     OpenCL destroys do not wait (OpenCL keeps released buffers until the queued work using them has run).
 *
 * CUDA contexts: each driver call GpuAe makes runs with the caller's CUcontext pushed (cuCtxPushCurrent) and popped
 * after, so any thread may call and its current context is the same after every call as before it.
 *
 * Threads: as everywhere in this header, one thread at a time per gpuae_context (and its models). The caller's queue or
 * stream may meanwhile be used by the caller from other threads (OpenCL queues and CUDA streams are thread-safe); the
 * order between the caller's and GpuAe's work is the order in which the calls were made.
 *
 * Device-buffer calls (_cl: cl_mem of the context's cl_context; _cu: CUdeviceptr in its CUcontext, 4-byte aligned):
 *   - offsets and lengths count floats (float32) from the start of the buffer; samples are NCHW, sample-major, as in
 *     the host calls; input and output buffers must not overlap;
 *   - GpuAe checks what it can: NULL handles; that a cl_mem belongs to the context (CL_MEM_CONTEXT) and that offset +
 *     count * width floats fit its CL_MEM_SIZE; that a CUdeviceptr lies in an allocation (cuMemGetAddressRange) that
 *     holds offset + count * width floats; too small: GPUAE_ERROR_BUFFER_TOO_SMALL, nothing enqueued. A model whose
 *     context is not on the caller's objects of that API: GPUAE_ERROR_INVALID_HANDLE. count = 0 enqueues nothing;
 *   - no copy through the host: each batch of samples is copied device-to-device on the queue/stream into GpuAe's plan
 *     arena (decode: the codes into a buffer of the model's), and the results are copied device-to-device into the
 *     output buffer;
 *   - results: the same plans in the same batches as the host calls, so the same bits on the same device, except
 *     reconstruction_error, which is float32 on the device (a fixed-order float sum per sample) where the host call
 *     gives doubles: they agree to float rounding (about 1e-6 relative). */

/* A context on the caller's OpenCL `cl_context` and in-order `cl_command_queue` (an out-of-order queue, a queue of
 * another context or a NULL handle: GPUAE_ERROR_INVALID_ARGUMENT). Retains both; see the section notes. On success
 * *out is a new context the caller owns; free it with gpuae_context_destroy. gpuae_context_backend gives "opencl".
 * Since: 2. */
gpuae_status gpuae_context_create_opencl(void *cl_context, void *cl_command_queue, gpuae_context **out);

/* A context on the caller's `CUcontext` and `CUstream` (NULL: the legacy default stream; a NULL or invalid context:
 * GPUAE_ERROR_INVALID_ARGUMENT; no CUDA driver: GPUAE_ERROR_BACKEND_UNAVAILABLE). All of GpuAe's work goes to that one
 * stream. Retains nothing; see the section notes. On success *out is a new context the caller owns; free it with
 * gpuae_context_destroy. gpuae_context_backend gives "cuda". Since: 2. */
gpuae_status gpuae_context_create_cuda(void *cu_context, void *cu_stream, gpuae_context **out);

/* Waits until all work GpuAe enqueued on the context has run: clFinish on its queue, cuStreamSynchronize on its stream
 * (for a context from gpuae_context_create: its own queue or streams; the CPU: nothing to wait for). Since: 2. */
gpuae_status gpuae_context_synchronize(gpuae_context *context);

/* Codes of `count` samples: input[input_offset ...] holds count * input_size floats, codes[codes_offset ...] receives
 * count * code_size floats. Enqueued only (see above). Since: 2. */
gpuae_status gpuae_model_encode_cl(gpuae_model *model, void *input, size_t input_offset, size_t count, void *codes, size_t codes_offset);
gpuae_status gpuae_model_encode_cu(gpuae_model *model, uint64_t input, size_t input_offset, size_t count, uint64_t codes, size_t codes_offset);

/* Decoder outputs of `count` codes: codes[codes_offset ...] holds count * code_size floats, output[output_offset ...]
 * receives count * input_size floats (output activation applied). Enqueued only. Since: 2. */
gpuae_status gpuae_model_decode_cl(gpuae_model *model, void *codes, size_t codes_offset, size_t count, void *output, size_t output_offset);
gpuae_status gpuae_model_decode_cu(gpuae_model *model, uint64_t codes, size_t codes_offset, size_t count, uint64_t output, size_t output_offset);

/* Reconstructions of `count` samples: count * input_size floats each way (a denoising model reconstructs its
 * evaluation-noised inputs, as gpuae_model_reconstruct). Enqueued only. Since: 2. */
gpuae_status gpuae_model_reconstruct_cl(gpuae_model *model, void *input, size_t input_offset, size_t count, void *output, size_t output_offset);
gpuae_status gpuae_model_reconstruct_cu(gpuae_model *model, uint64_t input, size_t input_offset, size_t count, uint64_t output, size_t output_offset);

/* The anomaly score per sample: the mean squared difference between the clean sample and its reconstruction, `count`
 * floats (float32, not double) into scores[scores_offset ...]. Enqueued only. Since: 2. */
gpuae_status gpuae_model_reconstruction_error_cl(gpuae_model *model, void *input, size_t input_offset, size_t count, void *scores, size_t scores_offset);
gpuae_status gpuae_model_reconstruction_error_cu(gpuae_model *model, uint64_t input, size_t input_offset, size_t count, uint64_t scores, size_t scores_offset);

/* One optimizer step (gpuae_trainer_step) on `count` samples the caller holds on the device: batch[batch_offset ...],
 * count * input_size floats. The samples are read in place (no copy through the host, no staging copy), in order
 * with the caller's work on the queue/stream; the call waits for the step only to read *loss back (may be NULL; the
 * step is read back anyway). Same bits as gpuae_trainer_step on the same samples on the same device. Since: 2. */
gpuae_status gpuae_trainer_step_cl(gpuae_trainer *trainer, void *batch, size_t batch_offset, size_t count, double *loss);
gpuae_status gpuae_trainer_step_cu(gpuae_trainer *trainer, uint64_t batch, size_t batch_offset, size_t count, double *loss);

/* Input scaling on the device: the device-buffer calls take samples, and give reconstructions, in the model's scaled
 * space (a model trained with --scale stores x' = (x - offset) / scale; gpuae_model_input_scaling gives offset and
 * scale): scale them in your own kernel before the call. The host-pointer calls apply the scaling themselves. */

#ifdef __cplusplus
}
#endif

#endif /* GPUAE_H */
