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

KERNEL void optimizer_update(int kind, int n, GLOBAL float* param, int paramOff, GLOBAL const float* grad, int gradOff,
                             GLOBAL float* s1, int s1Off, GLOBAL float* s2, int s2Off,
                             float lr, float beta1, float beta2, float eps, float momentum, float rho,
                             float wd, float bc1, float bc2sqrt)
{
    int i = GID(0);
    if (i >= n) return;
    float p = param[paramOff + i], g = grad[gradOff + i];
    if (kind != OPT_ADAMW) g += wd * p;
    if (kind == OPT_SGD) {
        p -= lr * g;
    } else if (kind == OPT_MOMENTUM || kind == OPT_NESTEROV) {
        float v = momentum * s1[s1Off + i] + g;
        s1[s1Off + i] = v;
        p -= kind == OPT_NESTEROV ? lr * (g + momentum * v) : lr * v;
    } else if (kind == OPT_RMSPROP) {
        float s = rho * s1[s1Off + i] + (1.0f - rho) * g * g;
        s1[s1Off + i] = s;
        p -= lr * g / (sqrt(s) + eps);
    } else {
        if (kind == OPT_ADAMW) p -= lr * wd * p;
        float m = beta1 * s1[s1Off + i] + (1.0f - beta1) * g;
        float v = beta2 * s2[s2Off + i] + (1.0f - beta2) * g * g;
        s1[s1Off + i] = m;
        s2[s2Off + i] = v;
        p -= lr * (m / bc1) / (sqrt(v) / bc2sqrt + eps);
    }
    param[paramOff + i] = p;
}
