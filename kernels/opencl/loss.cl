/* loss.cl - fused elementwise losses with their gradient, in one pass. Portable body.
 * Stage 1 writes the gradient (scale * dl/dp) and per-work-group partial sums of l; the host then runs
 * reduce.cl's sum_final with the same scale (fixed order, no atomics). */
#include "portable.h"

#ifndef REDUCE_LOCAL
#define REDUCE_LOCAL 64
#endif

#define LOSS_SQUARED 0
#define LOSS_ABSOLUTE 1
#define LOSS_BCE_LOGITS 2

KERNEL void loss_partials(int kind, int n, GLOBAL const float* p, int pOff, GLOBAL const float* t, int tOff,
                          float scale, GLOBAL float* gradient, int gradientOff, int hasGradient,
                          GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    float acc = 0.0f;
    for (int i = GROUP(0) * REDUCE_LOCAL + lid; i < n; i += NGROUPS(0) * REDUCE_LOCAL) {
        float z = p[pOff + i], y = t[tOff + i], l, g;
        if (kind == LOSS_SQUARED) {
            float d = z - y;
            l = d * d;
            g = 2.0f * d;
        } else if (kind == LOSS_ABSOLUTE) {
            float d = z - y;
            l = fabs(d);
            g = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
        } else {
            /* stable BCE on logits: max(z,0) - z*y + log(1 + exp(-|z|)); dl/dz = sigmoid(z) - y */
            float e = exp(-fabs(z));
            l = fmax(z, 0.0f) - z * y + log1p(e);
            float sig = z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
            g = sig - y;
        }
        acc += l;
        if (hasGradient) gradient[gradientOff + i] = scale * g;
    }
    s[lid] = acc;
    BARRIER();
    for (int stride = REDUCE_LOCAL / 2; stride > 0; stride >>= 1) {
        if (lid < stride) s[lid] += s[lid + stride];
        BARRIER();
    }
    if (lid == 0) partials[GROUP(0)] = s[0];
}
