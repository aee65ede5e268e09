/* reduce.cl - deterministic reductions (no atomics): sums, per-row and per-column sums.
 * Portable body. A reduction over one output runs in a fixed order: each work-item of one work-group
 * accumulates a fixed strided subset, then a binary tree in local memory combines them. The host
 * always launches the same geometry for the same length, so the same input gives the same bits.
 * REDUCE_LOCAL (the work-group size, a power of two) is a build option: 64 on GPUs; 1 on CPU devices,
 * where each work-group then sums one contiguous chunk sequentially with no barrier (PoCL spills
 * everything live across a barrier: the tree form made the MNIST loss 10x slower than a GEMM). */
#include "portable.h"

#include "reduce_common.h"

/* Stage 1 of Sum: work-group g writes partials[g] = sum of its strided share of x. */
KERNEL void sum_partials(GLOBAL const float* x, int xOff, int n, GLOBAL float* partials)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    int start, end;
    gpuae_chunk(n, &start, &end);
    s[lid] = gpuae_strided_sum(x + xOff, start, end, lid);
    GPUAE_TREE_REDUCE(s, lid);
    if (lid == 0) partials[GROUP(0)] = s[0];
}

/* Stage 2 (one work-group): result = scale * sum(partials[0..count)), or += when accumulate. */
KERNEL void sum_final(GLOBAL const float* partials, int count, float scale,
                      GLOBAL float* result, int resultOff, int accumulate)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0);
    s[lid] = gpuae_strided_sum(partials, 0, count, lid);
    GPUAE_TREE_REDUCE(s, lid);
    if (lid == 0) {
        float v = scale * s[0];
        result[resultOff] = accumulate ? result[resultOff] + v : v;
    }
}

/* result[r] = sum_c x[r, c]: one work-group per row. Overwrites, or accumulates when accumulate. */
KERNEL void row_sums(int rows, int cols, GLOBAL const float* x, int xOff,
                     GLOBAL float* result, int resultOff, int accumulate)
{
    LOCAL float s[REDUCE_LOCAL];
    int lid = LID(0), r = GROUP(0);
    s[lid] = gpuae_strided_sum(x + xOff + r * cols, 0, cols, lid);
    GPUAE_TREE_REDUCE(s, lid);
    if (lid == 0) result[resultOff + r] = accumulate ? result[resultOff + r] + s[0] : s[0];
}

/* result[c] = sum_r x[r, c]: one work-item per column, rows in order. Overwrites, or accumulates. */
KERNEL void column_sums(int rows, int cols, GLOBAL const float* x, int xOff,
                        GLOBAL float* result, int resultOff, int accumulate)
{
    int c = GID(0);
    if (c >= cols) return;
    float acc = 0.0f;
    for (int r = 0; r < rows; r++) acc += x[xOff + r * cols + c];
    result[resultOff + c] = accumulate ? result[resultOff + c] + acc : acc;
}
