/* gemm.cl - C[M,N] = act(alpha * op(A) op(B) + beta * C + bias), row-major, edge-safe for any M, N, K.
 *
 * Two variants, chosen on the host by CL_DEVICE_TYPE (tile parameters from a per-device table, all
 * overridable with -D):
 *   gemm_cpu_{nn,nt,tn,tt}   CPU devices (PoCL, Intel/AMD CPU runtimes). Barrier-free register
 *                            blocking: each work-item keeps a CPU_MR x 16 block of C in float16
 *                            registers (named, not an array) and streams K; B rows come in with
 *                            vload16. Local size (1,1); dimension 0 walks row blocks so that
 *                            consecutive work-items share the same 16-column panel of B in cache.
 *                            (Local memory + barriers make PoCL spill every live value across the
 *                            barrier: 3-20 GFLOP/s; this form reaches 100+.)
 *   gemm_cpu_packed_{n,t}    The same micro-kernel over B packed by pack_b into contiguous 16-column
 *                            panels: used for Bᵀ and for large B (host heuristic).
 *   gemm_tiled_{nn,nt,tn,tt} GPUs. TSM x TSN tile of C per work-group, TSK-deep slices of A and B
 *                            staged in local memory (zero-padded at the edges), WPTM x WPTN outputs
 *                            per work-item in registers. Local size (TSN/WPTN, TSM/WPTM).
 * op(A) is A [M,K] (lda >= K) or A^T with A [K,M] (lda >= M); likewise op(B) is [K,N] or B^T with B [N,K].
 * bias: biasMode 0 none, 1 per column (N values), 2 per row (M values). C is read only when beta != 0.
 * Fused operand forms (the gemm_cpu_* and gemm_tiled_* entries; the host never packs B for them), flags in `fuse`:
 *   FUSE_DACT     op(A) is dz = A * f'(Y) (act_derivative_p of portable.h with the fixed parameters of act `dAct`),
 *                 Y laid out as A (same offset pattern, lda): a dense layer's backward GEMMs read dy and y, no dz buffer.
 *   FUSE_ROW_SUMS rowSums[i] = sum_k op(A)[i][k] (after FUSE_DACT), k in order, written by the work-items of column
 *                 block 0 (they load every A value of their rows anyway): the bias gradient of dW = dz^T x. No atomics.
 *   FUSE_GATHER   (A not transposed) row i of A is row rowIndex[i] of A: the batch gather on the first GEMM's loads;
 *                 column block 0 also writes the rows it reads to `gathered` [M, K] (ld K).
 * OpenCL-only (vector types); the CUDA backend has its own GEMM. */
#include "portable.h"

#ifndef CPU_MR
#define CPU_MR 8
#endif
#ifndef TSM
#define TSM 64
#endif
#ifndef TSN
#define TSN 64
#endif
#ifndef TSK
#define TSK 16
#endif
#ifndef WPTM
#define WPTM 4
#endif
#ifndef WPTN
#define WPTN 4
#endif
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)

#define BIAS_NONE 0
#define BIAS_PER_COLUMN 1
#define BIAS_PER_ROW 2

#define FUSE_DACT 1
#define FUSE_ROW_SUMS 2
#define FUSE_GATHER 4

/* The fused operand arguments of every gemm_cpu_* / gemm_tiled_* entry (see the header). */
#define GEMM_FUSE_PARAMS int fuse, int dAct, __global const float* Y, int yOff, __global float* rowSums, int rsOff, \
    __global const int* rowIndex, int riOff, __global float* gathered, int gOff

/* One element of op(A) under the fused forms: A's value at `at`, times f'(Y[at]) under FUSE_DACT. */
static inline float fused_a(__global const float* A, __global const float* Y, int at, int fuse, int dAct)
{
    float v = A[at];
    if (fuse & FUSE_DACT)
        v *= act_derivative_p(dAct, Y[at], LEAKY_RELU_SLOPE, ELU_ALPHA, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD);
    return v;
}

/* gpuae_log1p and gpuae_expm1 of portable.h, 16 lanes at a time. */
static inline float16 log1p16(float16 e)
{
    float16 u = 1.0f + e;
    return select(log(u) * (e / (u - 1.0f)), e, u == (float16)1.0f);
}

static inline float16 expm116(float16 x)
{
    float16 u = exp(x), um1 = u - 1.0f;
    return select(select(um1 * (x / log(u)), (float16)-1.0f, um1 == (float16)-1.0f), x, u == (float16)1.0f);
}

/* act_forward of portable.h (the fixed parameters), 16 lanes at a time. */
static inline float16 act_forward16(int act, float16 x)
{
    switch (act) {
    case ACT_RELU: return fmax(x, (float16)0.0f);
    case ACT_LEAKY_RELU: return select(LEAKY_RELU_SLOPE * x, x, x > (float16)0.0f);
    case ACT_ELU: return select(ELU_ALPHA * expm116(x), x, x > (float16)0.0f);
    case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
    case ACT_TANH: return tanh(x);
    case ACT_SOFTPLUS: {
        float16 bx = SOFTPLUS_BETA * x;
        return select((fmax(bx, (float16)0.0f) + log1p16(exp(-fabs(bx)))) / SOFTPLUS_BETA, x, bx > (float16)SOFTPLUS_THRESHOLD);
    }
    default: return x;
    }
}

/* 16 values of row k of op(B) starting at column j; clamp keeps edge blocks in bounds. */
static inline float16 load_b16(__global const float* B, int ldb, int k, int j, int N, const int transB, const int edge)
{
    if (!transB && !edge) return vload16(0, B + k * ldb + j);
    float t[16];
    for (int c = 0; c < 16; c++) {
        int jj = edge ? min(j + c, N - 1) : j + c;
        t[c] = transB ? B[jj * ldb + k] : B[k * ldb + jj];
    }
    return vload16(0, t);
}

/* FOR_ROWS(X) expands X(0) ... X(CPU_MR-1): the accumulators are named registers, not an array. */
#define GPUAE_ROWS_1(X) X(0)
#define GPUAE_ROWS_2(X) GPUAE_ROWS_1(X) X(1)
#define GPUAE_ROWS_3(X) GPUAE_ROWS_2(X) X(2)
#define GPUAE_ROWS_4(X) GPUAE_ROWS_3(X) X(3)
#define GPUAE_ROWS_5(X) GPUAE_ROWS_4(X) X(4)
#define GPUAE_ROWS_6(X) GPUAE_ROWS_5(X) X(5)
#define GPUAE_ROWS_7(X) GPUAE_ROWS_6(X) X(6)
#define GPUAE_ROWS_8(X) GPUAE_ROWS_7(X) X(7)
#define GPUAE_ROWS_9(X) GPUAE_ROWS_8(X) X(8)
#define GPUAE_ROWS_10(X) GPUAE_ROWS_9(X) X(9)
#define GPUAE_ROWS_11(X) GPUAE_ROWS_10(X) X(10)
#define GPUAE_ROWS_12(X) GPUAE_ROWS_11(X) X(11)
#define GPUAE_ROWS__(n, X) GPUAE_ROWS_##n(X)
#define GPUAE_ROWS_(n, X) GPUAE_ROWS__(n, X)
#define FOR_ROWS(X) GPUAE_ROWS_(CPU_MR, X)

static inline void store_row16(float16 acc, int i, int j0, int M, int N, float alpha, float beta,
                        __global float* C, int ldc, int biasMode, float16 biasCol, __global const float* bias,
                        int act, const int edge)
{
    if (edge && i >= M) return;
    __global float* crow = C + i * ldc + j0;
    float16 v = alpha * acc;
    if (beta != 0.0f) {
        float16 old;
        if (edge) {
            float t[16];
            for (int c = 0; c < 16; c++) t[c] = crow[min(c, N - 1 - j0)];
            old = vload16(0, t);
        } else {
            old = vload16(0, crow);
        }
        v = fma((float16)beta, old, v);
    }
    if (biasMode == BIAS_PER_COLUMN) v += biasCol;
    else if (biasMode == BIAS_PER_ROW) v += bias[i];
    v = act_forward16(act, v);
    if (edge) {
        float t[16];
        vstore16(v, 0, t);
        for (int c = 0; c < 16 && j0 + c < N; c++) crow[c] = t[c];
    } else {
        vstore16(v, 0, crow);
    }
}

static inline void gemm_cpu_body(int M, int N, int K, float alpha,
                          __global const float* A, int lda, __global const float* B, int ldb,
                          float beta, __global float* C, int ldc,
                          int biasMode, __global const float* bias, int act,
                          const int transA, const int transB, const int edge,
                          const int fused, int fuse, int dAct, __global const float* Y,
                          __global float* rowSums, __global const int* rowIndex, __global float* gathered)
{
    const int i0 = (int)get_global_id(0) * CPU_MR, j0 = (int)get_global_id(1) * 16;
    /* a##r: the start of row r of op(A) (element offset from A; Y uses the same offsets) */
#define GPUAE_DECL(r) float16 acc##r = (float16)0.0f; float rs##r = 0.0f; \
    const int row##r = edge ? min(i0 + r, M - 1) : i0 + r; \
    const int a##r = transA ? row##r : (fused && (fuse & FUSE_GATHER) ? rowIndex[row##r] : row##r) * lda;
    FOR_ROWS(GPUAE_DECL)
#undef GPUAE_DECL
    const int aStep = transA ? lda : 1;
    /* column block 0 owns the row sums and the gathered copy of A's rows */
    const int firstBlock = fused && j0 == 0;
    for (int k = 0; k < K; k++) {
        float16 b = load_b16(B, ldb, k, j0, N, transB, edge);
        if (!fused) {
#define GPUAE_STEP(r) acc##r = fma((float16)A[a##r + k * aStep], b, acc##r);
            FOR_ROWS(GPUAE_STEP)
#undef GPUAE_STEP
        } else {
#define GPUAE_STEP(r) { float v = fused_a(A, Y, a##r + k * aStep, fuse, dAct); acc##r = fma((float16)v, b, acc##r); \
            if (firstBlock) { rs##r += v; if ((fuse & FUSE_GATHER) && (!edge || i0 + r < M)) gathered[(i0 + r) * K + k] = v; } }
            FOR_ROWS(GPUAE_STEP)
#undef GPUAE_STEP
        }
    }
    if (firstBlock && (fuse & FUSE_ROW_SUMS)) {
#define GPUAE_SUM(r) if (!edge || i0 + r < M) rowSums[i0 + r] = rs##r;
        FOR_ROWS(GPUAE_SUM)
#undef GPUAE_SUM
    }
    float16 biasCol = (float16)0.0f;
    if (biasMode == BIAS_PER_COLUMN) biasCol = load_b16(bias, 0, 0, j0, N, 0, edge);
#define GPUAE_STORE(r) store_row16(acc##r, i0 + r, j0, M, N, alpha, beta, C, ldc, biasMode, biasCol, bias, act, edge);
    FOR_ROWS(GPUAE_STORE)
#undef GPUAE_STORE
}

#define GEMM_CPU_CALL(TA, TB, edge, fused) gemm_cpu_body(M, N, K, alpha, A + aOff, lda, B + bOff, ldb, beta, C + cOff, ldc, \
    biasMode, bias + biasOff, act, TA, TB, edge, fused, fuse, dAct, Y + yOff, rowSums + rsOff, rowIndex + riOff, gathered + gOff)

#define GEMM_CPU_KERNEL(name, TA, TB)                                                                   \
__kernel void name(int M, int N, int K, float alpha,                                                  \
                   __global const float* A, int aOff, int lda, __global const float* B, int bOff, int ldb, \
                   float beta, __global float* C, int cOff, int ldc,                                   \
                   int biasMode, __global const float* bias, int biasOff, int act, GEMM_FUSE_PARAMS)   \
{                                                                                                     \
    const int i0 = (int)get_global_id(0) * CPU_MR, j0 = (int)get_global_id(1) * 16;                    \
    if (i0 >= M || j0 >= N) return;                                                                   \
    const int interior = i0 + CPU_MR <= M && j0 + 16 <= N;                                            \
    if (fuse) { if (interior) GEMM_CPU_CALL(TA, TB, 0, 1); else GEMM_CPU_CALL(TA, TB, 1, 1); }        \
    else if (interior) GEMM_CPU_CALL(TA, TB, 0, 0);                                                   \
    else GEMM_CPU_CALL(TA, TB, 1, 0);                                                                 \
}

GEMM_CPU_KERNEL(gemm_cpu_nn, 0, 0)
GEMM_CPU_KERNEL(gemm_cpu_nt, 0, 1)
GEMM_CPU_KERNEL(gemm_cpu_tn, 1, 0)
GEMM_CPU_KERNEL(gemm_cpu_tt, 1, 1)

/* ---- CPU variant on a packed B -------------------------------------------------------------------
 * pack_b copies op(B) [K, N] into 16-column panels, panel-major: Bp[(p*K + k)*16 + c] = op(B)[k, 16p + c],
 * zero beyond N. The GEMM then streams one contiguous panel per work-item (no page-strided B rows, no
 * gathers for Bᵀ). The host packs for Bᵀ and for large B (see OpenClBackend.PackB). NDRange (k, panel). */
__kernel void pack_b(int K, int N, __global const float* B, int bOff, int ldb, int transB, __global float* Bp)
{
    const int k = (int)get_global_id(0), p = (int)get_global_id(1);
    if (k >= K) return;
    const int j0 = p * 16;
    float t[16];
    for (int c = 0; c < 16; c++) {
        int j = j0 + c;
        t[c] = j < N ? (transB ? B[bOff + j * ldb + k] : B[bOff + k * ldb + j]) : 0.0f;
    }
    vstore16(vload16(0, t), 0, Bp + ((size_t)p * K + k) * 16);
}

static inline void gemm_cpu_packed_body(int M, int N, int K, float alpha,
                                 __global const float* A, int lda, __global const float* Bp,
                                 float beta, __global float* C, int ldc,
                                 int biasMode, __global const float* bias, int act,
                                 const int transA, const int edge)
{
    const int i0 = (int)get_global_id(0) * CPU_MR, p = (int)get_global_id(1), j0 = p * 16;
    __global const float* bp = Bp + (size_t)p * K * 16;
#define GPUAE_DECL(r) float16 acc##r = (float16)0.0f; \
    __global const float* a##r = transA ? A + (edge ? min(i0 + r, M - 1) : i0 + r) : A + (edge ? min(i0 + r, M - 1) : i0 + r) * lda;
    FOR_ROWS(GPUAE_DECL)
#undef GPUAE_DECL
    const int aStep = transA ? lda : 1;
    for (int k = 0; k < K; k++) {
        float16 b = vload16(k, bp);
#define GPUAE_STEP(r) acc##r = fma((float16)a##r[k * aStep], b, acc##r);
        FOR_ROWS(GPUAE_STEP)
#undef GPUAE_STEP
    }
    float16 biasCol = (float16)0.0f;
    if (biasMode == BIAS_PER_COLUMN) biasCol = load_b16(bias, 0, 0, j0, N, 0, edge);
#define GPUAE_STORE(r) store_row16(acc##r, i0 + r, j0, M, N, alpha, beta, C, ldc, biasMode, biasCol, bias, act, edge);
    FOR_ROWS(GPUAE_STORE)
#undef GPUAE_STORE
}

#define GEMM_CPU_PACKED_KERNEL(name, TA)                                                                \
__kernel void name(int M, int N, int K, float alpha, __global const float* A, int aOff, int lda,        \
                   __global const float* Bp, float beta, __global float* C, int cOff, int ldc,           \
                   int biasMode, __global const float* bias, int biasOff, int act)                     \
{                                                                                                     \
    const int i0 = (int)get_global_id(0) * CPU_MR, j0 = (int)get_global_id(1) * 16;                    \
    if (i0 >= M || j0 >= N) return;                                                                   \
    if (i0 + CPU_MR <= M && j0 + 16 <= N)                                                             \
        gemm_cpu_packed_body(M, N, K, alpha, A + aOff, lda, Bp, beta, C + cOff, ldc,                   \
                             biasMode, bias + biasOff, act, TA, 0);                                   \
    else                                                                                              \
        gemm_cpu_packed_body(M, N, K, alpha, A + aOff, lda, Bp, beta, C + cOff, ldc,                   \
                             biasMode, bias + biasOff, act, TA, 1);                                   \
}

GEMM_CPU_PACKED_KERNEL(gemm_cpu_packed_n, 0)
GEMM_CPU_PACKED_KERNEL(gemm_cpu_packed_t, 1)

/* ---- GPU variant: local-memory tiles ------------------------------------------------------------ */

static inline void gemm_tiled_body(int M, int N, int K, float alpha,
                            __global const float* A, int lda, __global const float* B, int ldb,
                            float beta, __global float* C, int ldc,
                            int biasMode, __global const float* bias, int act,
                            const int transA, const int transB,
                            __local float* Asub, __local float* Bsub,
                            int fuse, int dAct, __global const float* Y,
                            __global float* rowSums, __global const int* rowIndex, __global float* gathered)
{
    const int tn = (int)get_local_id(0), tm = (int)get_local_id(1);
    const int tid = tm * RTSN + tn;
    const int m0 = (int)get_group_id(1) * TSM, n0 = (int)get_group_id(0) * TSN;
    float acc[WPTM][WPTN], rs[WPTM];
    for (int wm = 0; wm < WPTM; wm++) {
        rs[wm] = 0.0f;
        for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = 0.0f;
    }
    /* the work-group of column block 0 owns the fused row sums and the gathered copy of A's rows */
    const int firstBlock = get_group_id(0) == 0;
    const int sums = (fuse & FUSE_ROW_SUMS) && firstBlock && tn == 0;

    for (int k0 = 0; k0 < K; k0 += TSK) {
        /* Asub[kk][mm] = op(A)[m0+mm][k0+kk], zero outside; consecutive work-items walk the contiguous axis */
        for (int l = tid; l < TSK * TSM; l += RTSM * RTSN) {
            int kk, mm;
            if (transA) { mm = l % TSM; kk = l / TSM; } else { kk = l % TSK; mm = l / TSK; }
            int m = m0 + mm, k = k0 + kk;
            float v = 0.0f;
            if (m < M && k < K) {
                int row = !transA && (fuse & FUSE_GATHER) ? rowIndex[m] : m;
                v = fused_a(A, Y, transA ? k * lda + row : row * lda + k, fuse, dAct);
                if ((fuse & FUSE_GATHER) && firstBlock) gathered[m * K + k] = v;
            }
            Asub[kk * TSM + mm] = v;
        }
        /* Bsub[kk][nn] = op(B)[k0+kk][n0+nn] */
        for (int l = tid; l < TSK * TSN; l += RTSM * RTSN) {
            int kk, nn;
            if (transB) { kk = l % TSK; nn = l / TSK; } else { nn = l % TSN; kk = l / TSN; }
            int n = n0 + nn, k = k0 + kk;
            Bsub[kk * TSN + nn] = (n < N && k < K) ? (transB ? B[n * ldb + k] : B[k * ldb + n]) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TSK; kk++) {
            float breg[WPTN];
            for (int wn = 0; wn < WPTN; wn++) breg[wn] = Bsub[kk * TSN + tn + wn * RTSN];
            for (int wm = 0; wm < WPTM; wm++) {
                float a = Asub[kk * TSM + tm + wm * RTSM];
                if (sums) rs[wm] += a;
                for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = fma(a, breg[wn], acc[wm][wn]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int wm = 0; wm < WPTM; wm++) {
        int m = m0 + tm + wm * RTSM;
        if (m >= M) continue;
        if (sums) rowSums[m] = rs[wm];
        for (int wn = 0; wn < WPTN; wn++) {
            int n = n0 + tn + wn * RTSN;
            if (n >= N) continue;
            float v = alpha * acc[wm][wn];
            if (beta != 0.0f) v = fma(beta, C[m * ldc + n], v);
            if (biasMode == BIAS_PER_COLUMN) v += bias[n];
            else if (biasMode == BIAS_PER_ROW) v += bias[m];
            C[m * ldc + n] = act_forward(act, v);
        }
    }
}

#define GEMM_TILED_KERNEL(name, TA, TB)                                                                 \
__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))                                         \
void name(int M, int N, int K, float alpha,                                                           \
          __global const float* A, int aOff, int lda, __global const float* B, int bOff, int ldb,     \
          float beta, __global float* C, int cOff, int ldc,                                           \
          int biasMode, __global const float* bias, int biasOff, int act, GEMM_FUSE_PARAMS)           \
{                                                                                                     \
    __local float Asub[TSK * TSM];                                                                    \
    __local float Bsub[TSK * TSN];                                                                    \
    gemm_tiled_body(M, N, K, alpha, A + aOff, lda, B + bOff, ldb, beta, C + cOff, ldc,                \
                    biasMode, bias + biasOff, act, TA, TB, Asub, Bsub,                                \
                    fuse, dAct, Y + yOff, rowSums + rsOff, rowIndex + riOff, gathered + gOff);        \
}

GEMM_TILED_KERNEL(gemm_tiled_nn, 0, 0)
GEMM_TILED_KERNEL(gemm_tiled_nt, 0, 1)
GEMM_TILED_KERNEL(gemm_tiled_tn, 1, 0)
GEMM_TILED_KERNEL(gemm_tiled_tt, 1, 1)
