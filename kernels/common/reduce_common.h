/* reduce_common.h - the fixed-order reduction pattern shared by reduce.cl and loss.cl (portable).
 * Work-group g of G owns the contiguous chunk [g*chunk, (g+1)*chunk) of n elements (chunk rounded up to
 * REDUCE_LOCAL); its REDUCE_LOCAL work-items stride through it, then a binary tree in local memory
 * combines them. REDUCE_LOCAL = 1 (CPU devices) is a plain sequential sum per chunk, no barriers. */
#ifndef GPUAE_REDUCE_COMMON_H
#define GPUAE_REDUCE_COMMON_H

#ifndef REDUCE_LOCAL
#define REDUCE_LOCAL 64
#endif

DEVICE_FN void gpuae_chunk(int n, int* start, int* end)
{
    int groups = NGROUPS(0);
    int chunk = (n + groups - 1) / groups;
    chunk = (chunk + REDUCE_LOCAL - 1) / REDUCE_LOCAL * REDUCE_LOCAL;
    *start = GROUP(0) * chunk;
    *end = min(n, *start + chunk);
}

/* This work-item's share of x[start..end) (elements start+lid, start+lid+L, ...), summed in 8 interleaved
 * lanes combined pairwise: a fixed order, 8 independent add chains (vectorisable), and ~8x less rounding
 * growth than one running sum over 10^5 elements. */
DEVICE_FN float gpuae_strided_sum(GLOBAL const float* x, int start, int end, int lid)
{
    const int L = REDUCE_LOCAL;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
    int i = start + lid;
    for (; i + 7 * L < end; i += 8 * L) {
        a0 += x[i];         a1 += x[i + L];     a2 += x[i + 2 * L]; a3 += x[i + 3 * L];
        a4 += x[i + 4 * L]; a5 += x[i + 5 * L]; a6 += x[i + 6 * L]; a7 += x[i + 7 * L];
    }
    for (; i < end; i += L) a0 += x[i];
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

#if REDUCE_LOCAL > 1
/* s[0] = sum of s[0..REDUCE_LOCAL); every work-item must reach it. */
#define GPUAE_TREE_REDUCE(s, lid)                                            \
    BARRIER();                                                               \
    for (int stride_ = REDUCE_LOCAL / 2; stride_ > 0; stride_ >>= 1) {       \
        if ((lid) < stride_) (s)[lid] += (s)[(lid) + stride_];               \
        BARRIER();                                                           \
    }
#else
#define GPUAE_TREE_REDUCE(s, lid)
#endif

#endif /* GPUAE_REDUCE_COMMON_H */
