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
 * Threads: one context per thread. A context and its models may be used from any thread, but from one thread
 * at a time (the caller serialises); different contexts on different threads run independently.
 * gpuae_last_error() is per thread.
 *
 * Versions and compatibility: GPUAE_API_VERSION counts the API levels. Functions are only ever appended, never
 * changed or removed; each carries the level it appeared in ("since: 1"). A host checks at start-up that
 * gpuae_api_version() >= GPUAE_API_VERSION (the library is at least as new as the header), e.g. with
 * GPUAE_CHECK_VERSION() below. The API is exported as plain functions rather than one function table: a host
 * that uses a newer function than the library has fails at link or dlsym time, which names the function.
 * Later levels add (planned, issue #9): models from a spec JSON string and saving; decode; contexts on the
 * caller's OpenCL context + cl_command_queue and CUDA context + CUstream (borrowed, never released, no hidden
 * synchronisation); inference on caller-owned device buffers (cl_mem, CUdeviceptr); trainers, steps, epochs
 * with a progress callback and cancellation.
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
#define GPUAE_API_VERSION 1

/* Nonzero when the loaded library offers every function of this header. */
#define GPUAE_CHECK_VERSION() (gpuae_api_version() >= GPUAE_API_VERSION)

/* Status of every call. Values are stable; new ones are appended. */
typedef enum gpuae_status {
    GPUAE_OK = 0,
    GPUAE_ERROR_INVALID_ARGUMENT = 1,    /* a NULL pointer, a negative index, an out-of-range value */
    GPUAE_ERROR_INVALID_HANDLE = 2,      /* a NULL handle, or a handle of the wrong kind */
    GPUAE_ERROR_BUFFER_TOO_SMALL = 3,    /* an output length below what the call writes */
    GPUAE_ERROR_NOT_FOUND = 4,           /* unknown backend or preset name, missing file */
    GPUAE_ERROR_BAD_FILE = 5,            /* a corrupt or incompatible checkpoint or model description */
    GPUAE_ERROR_BACKEND_UNAVAILABLE = 6, /* no such device, no driver, the runtime failed to start */
    GPUAE_ERROR_OUT_OF_MEMORY = 7,
    GPUAE_ERROR_INTERNAL = 8             /* a bug in GpuAe: please report it with gpuae_last_error() */
} gpuae_status;

/* A backend on one device. Create: gpuae_context_create. Destroy: gpuae_context_destroy. */
typedef struct gpuae_context gpuae_context;

/* A model (weights and compiled plans) on a context. Create: gpuae_model_create_preset or gpuae_model_load.
 * Destroy: gpuae_model_destroy. */
typedef struct gpuae_model gpuae_model;

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

#ifdef __cplusplus
}
#endif

#endif /* GPUAE_H */
