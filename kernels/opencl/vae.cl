/* vae.cl - the VAE's reparameterization z = mu + exp(logvar/2) * eps and its backward fused with the KL
 * term KL(N(mu, exp(logvar)) || N(0, 1)) = 1/2 sum(mu^2 + exp(logvar) - 1 - logvar). Portable body.
 * The KL sum runs in a fixed order (no atomics) like loss.cl: stage 1 here, reduce.cl's sum_final scales
 * it by klScale. exp(logvar) is computed as sd*sd, as the CPU reference does. */
#include "portable.h"

#include "reduce_common.h"

/* Overwrites z[0..n). */
KERNEL void vae_reparameterize_forward(int n, GLOBAL const float* mu, int muOff, GLOBAL const float* logVar, int logVarOff,
                                       GLOBAL const float* eps, int epsOff, GLOBAL float* z, int zOff)
{
    int i = GID(0);
    if (i >= n) return;
    z[zOff + i] = mu[muOff + i] + exp(0.5f * logVar[logVarOff + i]) * eps[epsOff + i];
}

/* Work-group g sums the KL terms of its chunk into partials[g]; with hasGradient it overwrites
 * dMu = dz + klScale*mu and dLogVar = (dz*sd*eps + klScale*(sd^2 - 1)) / 2 (dMu may alias dz: read first). */
KERNEL void vae_reparameterize_backward_partials(int n, GLOBAL const float* mu, int muOff, GLOBAL const float* logVar, int logVarOff,
                                                 GLOBAL const float* eps, int epsOff, GLOBAL const float* dz, int dzOff,
                                                 float klScale, GLOBAL float* dMu, int dMuOff, GLOBAL float* dLogVar, int dLogVarOff,
                                                 int hasGradient, GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    float acc = 0.0f;
    int start, end;
    gpuae_chunk(n, &start, &end);
    for (int i = start + lid; i < end; i += REDUCE_LOCAL) {
        float m = mu[muOff + i], lv = logVar[logVarOff + i];
        float sd = exp(0.5f * lv), variance = sd * sd;
        acc += 0.5f * (m * m + variance - 1.0f - lv);
        if (hasGradient) {
            float g = dz[dzOff + i];
            dMu[dMuOff + i] = g + klScale * m;
            dLogVar[dLogVarOff + i] = 0.5f * (g * sd * eps[epsOff + i] + klScale * (variance - 1.0f));
        }
    }
    s[lid] = acc;
    GPUAE_TREE_REDUCE(s, lid);
    if (lid == 0) partials[GROUP(0)] = s[0];
}
