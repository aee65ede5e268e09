/* penalty.cl - penalties on the code layer (sparse and contractive autoencoders), each fused with its
 * gradient. Portable body. Work-group g of G owns units g, g+G, ... of the code h [batch, units]; its
 * REDUCE_LOCAL work-items stride over the unit's column of h (and the unit's row of W), a tree in local
 * memory combines them, and partials[g] gets the group's loss terms in unit order. The host finishes with
 * reduce.cl's sum_final (accumulating into the loss), so the sums have a fixed order (no atomics).
 * Gradients are added (+=) to what the layers above wrote. Semantics: IBackend.ActivityPenalty / ContractivePenalty. */
#include "portable.h"

#include "reduce_common.h"

#define PENALTY_L1 0
#define PENALTY_KL_SPARSITY 1

#ifndef KL_CLAMP
#define KL_CLAMP 1e-6f
#endif

#if REDUCE_LOCAL > 1
#define PENALTY_SYNC() BARRIER()
#else
#define PENALTY_SYNC()
#endif

/* out = sum of v over the work-group, seen by every work-item; s may be reused right after. */
#define PENALTY_GROUP_SUM(s, v, lid, out) \
    (s)[lid] = (v);                       \
    GPUAE_TREE_REDUCE(s, lid);            \
    (out) = (s)[0];                       \
    PENALTY_SYNC();

DEVICE_FN float penalty_sign(float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); }

/* L1: loss += strength/batch * sum|h|, dh += strength/batch * sign(h).
 * KL sparsity: loss += strength * sum_j KL(rho || rhohat_j), dh_bj += strength/batch * ((1-rho)/(1-rhohat_j) - rho/rhohat_j). */
KERNEL void activity_penalty(int kind, int batch, int units, GLOBAL const float* h, int hOff,
                             float strength, float rho, GLOBAL float* dh, int dhOff, int hasGradient,
                             GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    float perSample = strength / (float)batch;
    float total = 0.0f;
    for (int j = GROUP(0); j < units; j += NGROUPS(0)) {
        float acc = 0.0f;
        for (int b = lid; b < batch; b += REDUCE_LOCAL) {
            float v = h[hOff + b * units + j];
            acc += kind == PENALTY_L1 ? fabs(v) : v;
        }
        float column;
        PENALTY_GROUP_SUM(s, acc, lid, column);
        float slope = 0.0f;
        if (kind == PENALTY_L1) {
            total += perSample * column;
        } else {
            float r = fmin(fmax(column / (float)batch, KL_CLAMP), 1.0f - KL_CLAMP);
            total += strength * (rho * log(rho / r) + (1.0f - rho) * log((1.0f - rho) / (1.0f - r)));
            slope = perSample * ((1.0f - rho) / (1.0f - r) - rho / r);
        }
        if (hasGradient)
            for (int b = lid; b < batch; b += REDUCE_LOCAL) {
                int i = b * units + j;
                dh[dhOff + i] += kind == PENALTY_L1 ? perSample * penalty_sign(h[hOff + i]) : slope;
            }
    }
    if (lid == 0) partials[GROUP(0)] = total;
}

/* Contractive penalty of a dense code layer, W [units, inputs], act = ACT_SIGMOID or ACT_RELU:
 * loss += strength/batch * sum_j c_j S_j with S_j = sum_i W_ji^2, c_j = sum_b g(h_bj), g = (h(1-h))^2 or [h > 0];
 * dh_bj += strength/batch * g'(h_bj) S_j (sigmoid only: g' = 0 for relu); dW_ji += strength/batch * 2 c_j W_ji. */
KERNEL void contractive_penalty(int act, int batch, int units, int inputs, GLOBAL const float* h, int hOff,
                                GLOBAL const float* w, int wOff, float strength,
                                GLOBAL float* dh, int dhOff, int hasDh, GLOBAL float* dw, int dwOff, int hasDw,
                                GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    int sigmoid = act == ACT_SIGMOID;
    float perSample = strength / (float)batch;
    float total = 0.0f;
    for (int j = GROUP(0); j < units; j += NGROUPS(0)) {
        int row = wOff + j * inputs;
        float acc = 0.0f;
        for (int i = lid; i < inputs; i += REDUCE_LOCAL) acc += w[row + i] * w[row + i];
        float rowSquares;
        PENALTY_GROUP_SUM(s, acc, lid, rowSquares);
        acc = 0.0f;
        for (int b = lid; b < batch; b += REDUCE_LOCAL) {
            float v = h[hOff + b * units + j];
            float d = v * (1.0f - v);
            acc += sigmoid ? d * d : (v > 0.0f ? 1.0f : 0.0f);
        }
        float c;
        PENALTY_GROUP_SUM(s, acc, lid, c);
        total += perSample * c * rowSquares;
        if (hasDh && sigmoid)
            for (int b = lid; b < batch; b += REDUCE_LOCAL) {
                int i = b * units + j;
                float v = h[hOff + i];
                dh[dhOff + i] += perSample * 2.0f * v * (1.0f - v) * (1.0f - 2.0f * v) * rowSquares;
            }
        if (hasDw)
            for (int i = lid; i < inputs; i += REDUCE_LOCAL)
                dw[dwOff + j * inputs + i] += perSample * 2.0f * c * w[row + i];
    }
    if (lid == 0) partials[GROUP(0)] = total;
}
