/* portable.h - the common subset of OpenCL C and CUDA C that the simple kernels are written in.
 *
 * A kernel body written against these macros compiles as OpenCL C (kernels/opencl/X.cl, built at run
 * time by the OpenCL backend, which inlines this header) and as CUDA C (kernels/cuda/X.cu includes
 * the same .cl file after this header). Rules for portable bodies:
 *   - declare kernels as   KERNEL void name(GLOBAL float* x, int xOff, ...)
 *   - work-item ids through GID(d) / LID(d) / GROUP(d) / LSIZE(d) / GSIZE(d) (all int)
 *   - shared memory as     LOCAL float tile[N];   inside the kernel, synchronise with BARRIER()
 *   - helper functions as  DEVICE_FN float f(...)
 *   - integer types uint / u64, float math through the overloaded names (exp, log, tanh, ...)
 *   - no vector types, no atomics (reductions have a fixed order).
 * Every buffer argument is (base pointer, element offset): views are offsets into one allocation.
 */
#ifndef GPUAE_PORTABLE_H
#define GPUAE_PORTABLE_H

#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
  #define KERNEL __kernel
  #define GLOBAL __global
  #define LOCAL __local
  #define DEVICE_FN static inline
  #define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
  #define GID(d) ((int)get_global_id(d))
  #define LID(d) ((int)get_local_id(d))
  #define GROUP(d) ((int)get_group_id(d))
  #define LSIZE(d) ((int)get_local_size(d))
  #define GSIZE(d) ((int)get_global_size(d))
  #define NGROUPS(d) ((int)get_num_groups(d))
  #define MULHI_U32(a, b) mul_hi((uint)(a), (uint)(b))
  typedef ulong u64;
  #define PI_F M_PI_F
#else /* CUDA */
  #define KERNEL extern "C" __global__
  #define GLOBAL
  #define LOCAL __shared__
  #define DEVICE_FN __device__ __forceinline__
  #define BARRIER() __syncthreads()
  __device__ __forceinline__ int gpuae_dim(const uint3 v, int d) { return d == 0 ? (int)v.x : d == 1 ? (int)v.y : (int)v.z; }
  __device__ __forceinline__ int gpuae_dim(const dim3 v, int d) { return d == 0 ? (int)v.x : d == 1 ? (int)v.y : (int)v.z; }
  #define LID(d) gpuae_dim(threadIdx, d)
  #define GROUP(d) gpuae_dim(blockIdx, d)
  #define LSIZE(d) gpuae_dim(blockDim, d)
  #define NGROUPS(d) gpuae_dim(gridDim, d)
  #define GID(d) (GROUP(d) * LSIZE(d) + LID(d))
  #define GSIZE(d) (NGROUPS(d) * LSIZE(d))
  #define MULHI_U32(a, b) __umulhi((unsigned int)(a), (unsigned int)(b))
  typedef unsigned int uint;
  typedef unsigned long long u64;
  #define PI_F 3.14159274101257324f
#endif

/* Activation codes: the order of GpuAe.Backends.Activation. */
#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_ELU 3
#define ACT_SIGMOID 4
#define ACT_TANH 5
#define ACT_SOFTPLUS 6

/* The fixed parameters of the fused activations (the `activation` field of dense/conv layers, GEMM epilogues):
 * PyTorch's defaults. The standalone activation kernels take their parameters as arguments instead. */
#ifndef LEAKY_RELU_SLOPE
#define LEAKY_RELU_SLOPE 0.01f
#endif
#ifndef ELU_ALPHA
#define ELU_ALPHA 1.0f
#endif
#ifndef SOFTPLUS_BETA
#define SOFTPLUS_BETA 1.0f
#endif
#ifndef SOFTPLUS_THRESHOLD
#define SOFTPLUS_THRESHOLD 20.0f
#endif

/* log(1 + e) for e in [0, 1] (BCE on logits): log(1 + e) instead of log1p(e) costs at most ~1.2e-7
 * absolute, and vectorises on PoCL where log1p is a scalar library call (10x slower for the MNIST loss). */
DEVICE_FN float gpuae_log_1p_unit(float e) { return log(1.0f + e); }

/* log1p(e) for e > -1 to a few ulps at any magnitude, from log alone (Goldberg's form): the rounding of u = 1 + e
 * is divided back out, so tiny e keep their digits (log(1 + e) is 0 below 6e-8 and 17% off at e = exp(-15)).
 * Branch-free selects, so it vectorises where log1p would be a scalar library call. */
DEVICE_FN float gpuae_log1p(float e)
{
    float u = 1.0f + e;
    return u == 1.0f ? e : log(u) * (e / (u - 1.0f));
}

/* expm1(x) to a few ulps from exp and log alone (Kahan's form): exp(x) - 1 loses every digit for |x| below 6e-8. */
DEVICE_FN float gpuae_expm1(float x)
{
    float u = exp(x);
    float um1 = u - 1.0f;
    return u == 1.0f ? x : (um1 == -1.0f ? -1.0f : um1 * (x / log(u)));
}

/* y = f(x) with the activation's parameters (PyTorch's semantics): LeakyReLU slope, ELU alpha, Softplus beta and
 * threshold (linear where beta*x > threshold). */
DEVICE_FN float act_forward_p(int act, float x, float slope, float alpha, float beta, float threshold)
{
    switch (act) {
    case ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ACT_LEAKY_RELU: return x > 0.0f ? x : slope * x;
    case ACT_ELU: return x > 0.0f ? x : alpha * gpuae_expm1(x);
    case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
    case ACT_TANH: return tanh(x);
    case ACT_SOFTPLUS: {
        float bx = beta * x;
        /* max(bx, 0) + log1p(exp(-|bx|)): no overflow for large |bx|, every digit for very negative bx */
        return bx > threshold ? x : (fmax(bx, 0.0f) + gpuae_log1p(exp(-fabs(bx)))) / beta;
    }
    default: return x;
    }
}

/* f'(x) written through y = f(x), for slope >= 0 and alpha >= 0 (then y > 0 exactly where x > 0).
 * Softplus: sigmoid(beta x) = 1 - exp(-beta y) = -expm1(-beta y); 1 where beta y > threshold. */
DEVICE_FN float act_derivative_p(int act, float y, float slope, float alpha, float beta, float threshold)
{
    switch (act) {
    case ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : slope;
    case ACT_ELU: return y > 0.0f ? 1.0f : y + alpha;
    case ACT_SIGMOID: return y * (1.0f - y);
    case ACT_TANH: return 1.0f - y * y;
    case ACT_SOFTPLUS: {
        float by = beta * y;
        return by > threshold ? 1.0f : -gpuae_expm1(-by);
    }
    default: return 1.0f;
    }
}

/* A fused activation (GEMM epilogues, channel_bias_activation): the fixed parameters above. */
DEVICE_FN float act_forward(int act, float x)
{
    return act_forward_p(act, x, LEAKY_RELU_SLOPE, ELU_ALPHA, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD);
}

#endif /* GPUAE_PORTABLE_H */
