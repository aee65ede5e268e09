/* optim.cl - optimizer updates over the flat parameter buffer, one launch for all parameters.
 * Portable body. Updates parameters and state in place, with PyTorch's rules (torch.optim SGD, RMSprop, Adam,
 * AdamW; single-tensor forms), operation by operation in float as PyTorch does them. Every scalar comes from the
 * host, formed in double and rounded once (OptimizerStep.Scalars): c1/c1c/c2/c2c are the rule's constants
 * (SGD momentum; RMSprop alpha, 1 - alpha, momentum; Adam beta1, 1 - beta1, beta2, 1 - beta2), l2 the weight
 * decay added to the gradient (0 for AdamW), and per step: step (lr; Adam lr / (1 - beta1^t)), aux (SGD: the
 * gradient's weight in the momentum buffer; Adam: sqrt(1 - beta2^t)) and decay (AdamW: 1 - lr * wd). */
#include "portable.h"

#define OPT_SGD 0
#define OPT_MOMENTUM 1
#define OPT_NESTEROV 2
#define OPT_RMSPROP 3
#define OPT_ADAM 4
#define OPT_ADAMW 5
#define OPT_FLAG_CENTERED 1

/* One element's update; the per-step scalars (step, aux, decay) come as values, so the CUDA graph variant in
 * kernels/cuda/optim.cu reads them from device memory and shares this body. */
DEVICE_FN void optimizer_apply(int kind, int flags, int i, GLOBAL float* param, GLOBAL const float* grad,
                               GLOBAL float* s1, GLOBAL float* s2, GLOBAL float* s3,
                               float c1, float c1c, float c2, float c2c, float eps, float l2,
                               float step, float aux, float decay)
{
    float p = param[i], g = grad[i];
    g = g + l2 * p;                                   /* grad.add(param, alpha=weight_decay) */
    if (kind == OPT_SGD) {
        p = p - step * g;
    } else if (kind == OPT_MOMENTUM || kind == OPT_NESTEROV) {
        float b = s1[i] * c1 + aux * g;               /* buf.mul_(momentum).add_(g, alpha=1-dampening) */
        s1[i] = b;
        if (kind == OPT_NESTEROV) g = g + c1 * b; else g = b;
        p = p - step * g;
    } else if (kind == OPT_RMSPROP) {
        float sq = s1[i] * c1 + c1c * g * g;          /* square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha) */
        s1[i] = sq;
        float avg;
        if (flags & OPT_FLAG_CENTERED) {
            float ga = s3[i] * c1 + c1c * g;          /* grad_avg.mul_(alpha).add_(g, alpha=1-alpha) */
            s3[i] = ga;
            avg = sqrt(sq - ga * ga);
        } else {
            avg = sqrt(sq);
        }
        avg = avg + eps;
        if (c2 != 0.0f) {
            float b = s2[i] * c2 + g / avg;           /* buf.mul_(momentum).addcdiv_(g, avg) */
            s2[i] = b;
            p = p - step * b;
        } else {
            p = p - step * g / avg;
        }
    } else {
        if (kind == OPT_ADAMW) p = p * decay;         /* param.mul_(1 - lr * weight_decay) */
        float m = s1[i] * c1 + c1c * g;               /* exp_avg.mul_(beta1).add_(g, alpha=1-beta1) */
        float v = s2[i] * c2 + c2c * g * g;           /* exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2) */
        s1[i] = m;
        s2[i] = v;
        p = p - step * m / (sqrt(v) / aux + eps);     /* addcdiv_(m, sqrt(v)/bc2sqrt + eps, value=-step_size) */
    }
    param[i] = p;
}

KERNEL void optimizer_update(int kind, int flags, int n, GLOBAL float* param, int paramOff, GLOBAL const float* grad, int gradOff,
                             GLOBAL float* s1, int s1Off, GLOBAL float* s2, int s2Off, GLOBAL float* s3, int s3Off,
                             float c1, float c1c, float c2, float c2c, float eps, float l2,
                             float step, float aux, float decay)
{
    int i = GID(0);
    if (i >= n) return;
    optimizer_apply(kind, flags, i, param + paramOff, grad + gradOff, s1 + s1Off, s2 + s2Off, s3 + s3Off,
                    c1, c1c, c2, c2c, eps, l2, step, aux, decay);
}
