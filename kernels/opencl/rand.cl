/* rand.cl - counter-based random numbers: Philox4x32-10 exactly as src/GpuAe/Random/Philox.cs.
 * Portable body. Element i uses block (offset + i/4) under key seed, word i%4; normals pair words
 * (0,1) and (2,3) by Box-Muller, the even element taking the cosine. One work-item per block of 4. */
#include "portable.h"

DEVICE_FN void philox4x32_10(u64 counter, u64 seed, uint* out)
{
    uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0u, c3 = 0u;
    uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint hi0 = MULHI_U32(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint hi1 = MULHI_U32(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* distribution 0: uniform [0,1) from the top 24 bits; 1: standard normal. Writes block `block` of
 * the stream that starts at counter `offset` (elements 4*block .. 4*block+3 of y). */
DEVICE_FN void random_fill_block(int distribution, u64 seed, u64 offset, GLOBAL float* y, int yOff, int n, int block)
{
    int first = block * 4;
    if (first >= n) return;
    uint w[4];
    philox4x32_10(offset + (u64)block, seed, w);
    float v[4];
    if (distribution == 0) {
        for (int j = 0; j < 4; j++) v[j] = (float)(w[j] >> 8) * (1.0f / 16777216.0f);
    } else {
        for (int pair = 0; pair < 2; pair++) {
            float u1 = (float)((w[2 * pair] >> 8) + 1u) * (1.0f / 16777216.0f);
            float u2 = (float)(w[2 * pair + 1] >> 8) * (1.0f / 16777216.0f);
            float radius = sqrt(-2.0f * log(u1));
            float angle = 2.0f * PI_F * u2;
            v[2 * pair] = radius * cos(angle);
            v[2 * pair + 1] = radius * sin(angle);
        }
    }
    for (int j = 0; j < 4 && first + j < n; j++) y[yOff + first + j] = v[j];
}

/* Overwrites y[0..n) with the stream from counter `offset`. */
KERNEL void random_fill(int distribution, u64 seed, u64 offset, GLOBAL float* y, int yOff, int n)
{
    random_fill_block(distribution, seed, offset, y, yOff, n, GID(0));
}
