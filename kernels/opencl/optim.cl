/* optim.cl - optimizer updates over the flat parameter buffer, one launch for all parameters.
 * Portable body. Updates parameters and state in place. Weight decay: L2 added to the gradient for
 * SGD/Momentum/Nesterov/RMSprop/Adam, decoupled (p -= lr*wd*p) for AdamW (PyTorch's rules, as the CPU
 * reference). bc1 = 1 - beta1^step and bc2sqrt = sqrt(1 - beta2^step) come from the host (in double). */
#include "portable.h"

#define OPT_SGD 0
#define OPT_MOMENTUM 1
#define OPT_NESTEROV 2
#define OPT_RMSPROP 3
#define OPT_ADAM 4
#define OPT_ADAMW 5

/* One element's update; the per-step scalars (lr and the bias corrections) come as values, so the
 * CUDA graph variant in kernels/cuda/optim.cu reads them from device memory and shares this body. */
DEVICE_FN void optimizer_apply(int kind, int i, GLOBAL float* param, GLOBAL const float* grad, GLOBAL float* s1, GLOBAL float* s2,
                               float lr, float beta1, float beta2, float eps, float momentum, float rho,
                               float wd, float bc1, float bc2sqrt)
{
    float p = param[i], g = grad[i];
    if (kind != OPT_ADAMW) g += wd * p;
    if (kind == OPT_SGD) {
        p -= lr * g;
    } else if (kind == OPT_MOMENTUM || kind == OPT_NESTEROV) {
        float v = momentum * s1[i] + g;
        s1[i] = v;
        p -= kind == OPT_NESTEROV ? lr * (g + momentum * v) : lr * v;
    } else if (kind == OPT_RMSPROP) {
        float s = rho * s1[i] + (1.0f - rho) * g * g;
        s1[i] = s;
        p -= lr * g / (sqrt(s) + eps);
    } else {
        if (kind == OPT_ADAMW) p -= lr * wd * p;
        float m = beta1 * s1[i] + (1.0f - beta1) * g;
        float v = beta2 * s2[i] + (1.0f - beta2) * g * g;
        s1[i] = m;
        s2[i] = v;
        p -= lr * (m / bc1) / (sqrt(v) / bc2sqrt + eps);
    }
    param[i] = p;
}

KERNEL void optimizer_update(int kind, int n, GLOBAL float* param, int paramOff, GLOBAL const float* grad, int gradOff,
                             GLOBAL float* s1, int s1Off, GLOBAL float* s2, int s2Off,
                             float lr, float beta1, float beta2, float eps, float momentum, float rho,
                             float wd, float bc1, float bc2sqrt)
{
    int i = GID(0);
    if (i >= n) return;
    optimizer_apply(kind, i, param + paramOff, grad + gradOff, s1 + s1Off, s2 + s2Off,
                    lr, beta1, beta2, eps, momentum, rho, wd, bc1, bc2sqrt);
}
