/* loss.cl - fused elementwise losses with their gradient, in one pass. Portable body.
 * The gradient (scale * dl/dp) is written in the same pass that evaluates l; l is summed in a fixed order
 * (no atomics) and scaled by reduce.cl's sum_final. */
#include "portable.h"

#include "reduce_common.h"

#define LOSS_SQUARED 0
#define LOSS_ABSOLUTE 1
#define LOSS_BCE_LOGITS 2
#define LOSS_BCE_PROBABILITIES 3

/* PyTorch's BCELoss: the gradient's denominator p(1-p) is kept from 0 by this. */
#define BCE_EPSILON 1e-12f

/* l(p, t) and dl/dp for one element. */
DEVICE_FN float loss_term(int kind, float z, float y, float* g)
{
    if (kind == LOSS_BCE_PROBABILITIES) {
        /* BCE on probabilities as PyTorch's BCELoss: each log clamped at -100 (so p = 0 or 1 give finite values),
         * log(1 - p) as log1p(-p); dl/dp = (p - t) / max(p (1 - p), 1e-12). */
        float logP = fmax(log(z), -100.0f), log1mP = fmax(gpuae_log1p(-z), -100.0f);
        *g = (z - y) / fmax((1.0f - z) * z, BCE_EPSILON);
        return (y - 1.0f) * log1mP - y * logP;
    }
    if (kind == LOSS_SQUARED) {
        float d = z - y;
        *g = 2.0f * d;
        return d * d;
    }
    if (kind == LOSS_ABSOLUTE) {
        float d = z - y;
        *g = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
        return fabs(d);
    }
    /* stable BCE on logits: max(z,0) - z*y + log(1 + exp(-|z|)); dl/dz = sigmoid(z) - y */
    float e = exp(-fabs(z));
    float sig = z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    *g = sig - y;
    return fmax(z, 0.0f) - z * y + gpuae_log_1p_unit(e);
}

/* This work-group's chunk (gpuae_chunk): writes gradient = scale * dl/dp and returns the sum of l over the chunk
 * (strided per work-item, then the tree in s) to every work-item; the fixed order both loss forms share. */
DEVICE_FN float loss_group_sum(int kind, int n, GLOBAL const float* p, int pOff, GLOBAL const float* t, int tOff,
                               float scale, GLOBAL float* gradient, int gradientOff, int hasGradient, LOCAL float* s)
{
    int lid = LID(0);
    float acc = 0.0f;
    int start, end;
    gpuae_chunk(n, &start, &end);
    for (int i = start + lid; i < end; i += REDUCE_LOCAL) {
        float g;
        acc += loss_term(kind, p[pOff + i], t[tOff + i], &g);
        if (hasGradient) gradient[gradientOff + i] = scale * g;
    }
    s[lid] = acc;
    GPUAE_TREE_REDUCE(s, lid);
    return s[0];
}

/* GPU form: stage 1 of the fused loss. Work-group g sums l over its chunk (tree of REDUCE_LOCAL) into
 * partials[g] and writes gradient = scale * dl/dp. The host finishes with reduce.cl's sum_final. */
KERNEL void loss_partials(int kind, int n, GLOBAL const float* p, int pOff, GLOBAL const float* t, int tOff,
                          float scale, GLOBAL float* gradient, int gradientOff, int hasGradient,
                          GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    float sum = loss_group_sum(kind, n, p, pOff, t, tOff, scale, gradient, gradientOff, hasGradient, s);
    if (LID(0) == 0) partials[GROUP(0)] = sum;
}

/* CPU form: one work-item per element, one kernel per loss kind (a compile-time constant, so PoCL
 * vectorises the math across the work-group); the terms go to terms[] and reduce.cl's sum_partials and
 * sum_final add them in a fixed order. */
#define GPUAE_LOSS_ELEMENTWISE(name, KIND)                                                             \
KERNEL void loss_elementwise_##name(int n, GLOBAL const float* p, int pOff, GLOBAL const float* t, int tOff, \
                                    float scale, GLOBAL float* gradient, int gradientOff, int hasGradient,  \
                                    GLOBAL float* terms)                                              \
{                                                                                                     \
    int i = GID(0);                                                                                   \
    if (i >= n) return;                                                                               \
    float g;                                                                                          \
    terms[i] = loss_term(KIND, p[pOff + i], t[tOff + i], &g);                                         \
    if (hasGradient) gradient[gradientOff + i] = scale * g;                                           \
}

GPUAE_LOSS_ELEMENTWISE(squared, LOSS_SQUARED)
GPUAE_LOSS_ELEMENTWISE(absolute, LOSS_ABSOLUTE)
GPUAE_LOSS_ELEMENTWISE(bce_logits, LOSS_BCE_LOGITS)
GPUAE_LOSS_ELEMENTWISE(bce_probabilities, LOSS_BCE_PROBABILITIES)

/* Loss, gradient and reduction in one launch: work-group g (of at most laneCount) sums l over its chunk in the
 * fixed order of loss_partials and adds scale * that sum to lanes[g]; gradient = scale * dl/dp. Accumulates into
 * the lanes (the loss is their sum, taken once per epoch by the host); overwrites the gradient. No final stage
 * and no atomics: each lane has one writer. */
KERNEL void loss_lanes(int kind, int n, GLOBAL const float* p, int pOff, GLOBAL const float* t, int tOff,
                       float scale, GLOBAL float* gradient, int gradientOff, int hasGradient,
                       GLOBAL float* lanes, int lanesOff)
{
    LOCAL float s[REDUCE_LOCAL];
    float sum = loss_group_sum(kind, n, p, pOff, t, tOff, scale, gradient, gradientOff, hasGradient, s);
    if (LID(0) == 0) lanes[lanesOff + GROUP(0)] += scale * sum;
}
