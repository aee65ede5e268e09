/* optim.cl - optimizer updates over the flat parameter buffer, one launch for all parameters.
 * Portable body. Updates parameters and state in place, with PyTorch's rules (torch.optim SGD, RMSprop, Adam,
 * AdamW; single-tensor forms), operation by operation in float as PyTorch's CPU kernels do them: add(x, alpha=a)
 * and addcmul(x, y, value=v) are fused multiply-adds there (fma(y, a, x), fma(v*x, y, self)), addcdiv and the
 * scalar mul/div/add are not; nothing else may be contracted. Every scalar comes from the host, formed in double
 * and rounded once (OptimizerStep.Scalars): c1/c1c/c2/c2c are the rule's constants (SGD momentum; RMSprop alpha,
 * 1 - alpha, momentum; Adam beta1, 1 - beta1, beta2, 1 - beta2), l2 the weight decay added to the gradient (0 for
 * AdamW), and per step: step (lr; Adam lr / (1 - beta1^t)), aux (SGD: the gradient's weight in the momentum buffer,
 * 1 at step 1 where torch clones the gradient; Adam: sqrt(1 - beta2^t)) and decay (AdamW: 1 - lr * wd). */
#include "portable.h"

#define OPT_SGD 0
#define OPT_MOMENTUM 1
#define OPT_NESTEROV 2
#define OPT_RMSPROP 3
#define OPT_ADAM 4
#define OPT_ADAMW 5
#define OPT_FLAG_CENTERED 1

/* a product that must stay rounded on its own (no contraction into a following add) */
#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
  #pragma OPENCL FP_CONTRACT OFF
  #define OPT_MUL(a, b) ((a) * (b))
#else
  #define OPT_MUL(a, b) __fmul_rn(a, b)
#endif

/* One element's update; the per-step scalars (step, aux, decay) come as values, so the CUDA graph variant in
 * kernels/cuda/optim.cu reads them from device memory and shares this body. */
DEVICE_FN void optimizer_apply(int kind, int flags, int i, GLOBAL float* param, GLOBAL const float* grad,
                               GLOBAL float* s1, GLOBAL float* s2, GLOBAL float* s3,
                               float c1, float c1c, float c2, float c2c, float eps, float l2,
                               float step, float aux, float decay)
{
    float p = param[i], g = grad[i];
    if (l2 != 0.0f) g = fma(p, l2, g);                    /* grad.add(param, alpha=weight_decay) */
    if (kind == OPT_SGD) {
        p = fma(g, -step, p);                             /* param.add_(d_p, alpha=-lr) */
    } else if (kind == OPT_MOMENTUM || kind == OPT_NESTEROV) {
        float b = fma(g, aux, OPT_MUL(s1[i], c1));        /* buf.mul_(momentum).add_(d_p, alpha=1-dampening) */
        s1[i] = b;
        g = kind == OPT_NESTEROV ? fma(b, c1, g) : b;     /* d_p.add(buf, alpha=momentum) */
        p = fma(g, -step, p);
    } else if (kind == OPT_RMSPROP) {
        float sq = fma(OPT_MUL(c1c, g), g, OPT_MUL(s1[i], c1)); /* square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha) */
        s1[i] = sq;
        float avg;
        if (flags & OPT_FLAG_CENTERED) {
            float ga = fma(g, c1c, OPT_MUL(s3[i], c1));   /* grad_avg.mul_(alpha).add_(g, alpha=1-alpha) */
            s3[i] = ga;
            avg = sqrt(fma(-ga, ga, sq));                 /* square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_() */
        } else {
            avg = sqrt(sq);
        }
        avg = avg + eps;
        if (c2 != 0.0f) {
            float b = OPT_MUL(s2[i], c2) + g / avg;       /* buf.mul_(momentum).addcdiv_(g, avg) */
            s2[i] = b;
            p = fma(b, -step, p);                         /* param.add_(buf, alpha=-lr) */
        } else {
            p = p - OPT_MUL(step, g) / avg;               /* param.addcdiv_(g, avg, value=-lr) */
        }
    } else {
        if (kind == OPT_ADAMW) p = OPT_MUL(p, decay);     /* param.mul_(1 - lr * weight_decay) */
        float m = fma(g, c1c, OPT_MUL(s1[i], c1));        /* exp_avg.mul_(beta1).add_(g, alpha=1-beta1) */
        float v = fma(OPT_MUL(c2c, g), g, OPT_MUL(s2[i], c2)); /* exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2) */
        s1[i] = m;
        s2[i] = v;
        p = p - OPT_MUL(step, m) / (sqrt(v) / aux + eps); /* addcdiv_(m, sqrt(v)/bc2sqrt + eps, value=-step_size) */
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
