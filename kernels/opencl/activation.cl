/* activation.cl - pointwise activations, forward and backward. Portable body.
 * The formulas live in portable.h (act_forward_p / act_derivative_p) so GEMM epilogues share them.
 * The standalone kernels take the activation's parameters as arguments (LeakyReLU slope, ELU alpha, Softplus beta
 * and threshold; ignored by the others); the fused channel_bias_activation uses the fixed ones (act_forward). */
#include "portable.h"

/* y = f(x). Overwrites; x and y may be the same view. */
KERNEL void activation_forward(int act, int n, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff,
                               float slope, float alpha, float beta, float threshold)
{
    int i = GID(0);
    if (i < n) y[yOff + i] = act_forward_p(act, x[xOff + i], slope, alpha, beta, threshold);
}

/* dx = dy * f'(x), with f' written through y = f(x). Overwrites; dx may alias dy. */
KERNEL void activation_backward(int act, int n, GLOBAL const float* y, int yOff,
                                GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff,
                                float slope, float alpha, float beta, float threshold)
{
    int i = GID(0);
    if (i < n) dx[dxOff + i] = dy[dyOff + i] * act_derivative_p(act, y[yOff + i], slope, alpha, beta, threshold);
}

/* One kernel per activation (activation_forward_<name>, activation_backward_<name>,
 * channel_bias_activation_<name>): with the activation a compile-time constant the compiler vectorises the
 * math across work-items (PoCL), and GPUs get straight-line code. The generic kernels above stay for tools
 * and tests. channel_bias_activation: y[n, c, i] = f(x[n, c, i] + bias[c]) over NCHW planes, NDRange
 * (i, n*channels + c) so the channel is one division per row; overwrites, x and y may be the same view. */
#define GPUAE_ACTIVATION_KERNELS(name, ACT)                                                            \
KERNEL void activation_forward_##name(int n, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff, \
                                      float slope, float alpha, float beta, float threshold)          \
{                                                                                                     \
    int i = GID(0);                                                                                   \
    if (i < n) y[yOff + i] = act_forward_p(ACT, x[xOff + i], slope, alpha, beta, threshold);          \
}                                                                                                     \
KERNEL void activation_backward_##name(int n, GLOBAL const float* y, int yOff,                        \
                                       GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff, \
                                       float slope, float alpha, float beta, float threshold)         \
{                                                                                                     \
    int i = GID(0);                                                                                   \
    if (i < n) dx[dxOff + i] = dy[dyOff + i] * act_derivative_p(ACT, y[yOff + i], slope, alpha, beta, threshold); \
}                                                                                                     \
KERNEL void channel_bias_activation_##name(int plane, int channels, GLOBAL const float* x, int xOff,  \
                                           GLOBAL const float* bias, int biasOff, GLOBAL float* y, int yOff) \
{                                                                                                     \
    int i = GID(0), p = GID(1);                                                                       \
    if (i >= plane) return;                                                                           \
    int at = p * plane + i;                                                                           \
    y[yOff + at] = act_forward(ACT, x[xOff + at] + bias[biasOff + p % channels]);                     \
}

GPUAE_ACTIVATION_KERNELS(linear, ACT_LINEAR)
GPUAE_ACTIVATION_KERNELS(relu, ACT_RELU)
GPUAE_ACTIVATION_KERNELS(leaky_relu, ACT_LEAKY_RELU)
GPUAE_ACTIVATION_KERNELS(elu, ACT_ELU)
GPUAE_ACTIVATION_KERNELS(sigmoid, ACT_SIGMOID)
GPUAE_ACTIVATION_KERNELS(tanh, ACT_TANH)
GPUAE_ACTIVATION_KERNELS(softplus, ACT_SOFTPLUS)

/* Activation backward fused with the per-column bias gradient (a dense layer's dz and db in one launch):
 * dz[r, c] = dy[r, c] * f'(y[r, c]) (the fixed parameters of the fused activations) and db[c] = sum over r of dz[r, c], rows in order (column_sums' order, so
 * the same bits as activation_backward then column_sums). One work-item per column; overwrites dz and db;
 * dz may alias dy. */
KERNEL void activation_backward_bias(int act, int rows, int cols, GLOBAL const float* y, int yOff,
                                     GLOBAL const float* dy, int dyOff, GLOBAL float* dz, int dzOff,
                                     GLOBAL float* db, int dbOff)
{
    int c = GID(0);
    if (c >= cols) return;
    float acc = 0.0f;
    for (int r = 0; r < rows; r++) {
        int at = r * cols + c;
        float d = dy[dyOff + at] * act_derivative_p(act, y[yOff + at], LEAKY_RELU_SLOPE, ELU_ALPHA, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD);
        dz[dzOff + at] = d;
        acc += d;
    }
    db[dbOff + c] = acc;
}
