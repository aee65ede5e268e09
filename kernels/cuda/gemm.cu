/* gemm.cu - C[M,N] = act(alpha * op(A) op(B) + beta * C + bias), row-major, FP32, edge-safe for any
 * M, N, K (CUDA only; the OpenCL family is kernels/opencl/gemm.cl).
 *
 * One template, three tile configurations, four transpose cases = twelve entries
 *   gemm_f32_<tile>_<nn|nt|tn|tt>   tile: t128 (128x128x8, 8x8 per thread),
 *                                         t64  (64x64x16, 4x4 per thread),
 *                                         t32  (32x32x16, 2x2 per thread); 256 threads each.
 * The host (GpuAe.Backends.Cuda.GemmTiles) picks the largest tile whose grid still fills the device,
 * so the autoencoder's thin shapes (256x32x784, 784x32x256 ...) get enough blocks.
 * Each block stages a BK-deep slice of op(A) (stored k-major: As[k][m]) and op(B) (Bs[k][n]) in
 * shared memory, double-buffered through registers (the next slice is loaded from global memory
 * while the current one is multiplied). Global loads are float4 when the operand's contiguous axis,
 * its offset and its leading dimension are all multiples of 4 and the quad is inside the matrix;
 * otherwise scalar with zero fill at the edges. Each thread keeps TM x TN accumulators in registers.
 * Epilogue (fused): alpha*acc (+ beta*C, C read only when beta != 0) (+ bias per column / per row),
 * then the activation of portable.h. Overwrites C when beta = 0. Deterministic: a fixed k order.
 * Launch: grid (ceil(N/BN), ceil(M/BM)), block 256.
 * Fused operand forms (flags in `fuse`, the same as kernels/opencl/gemm.cl; A is then loaded scalar):
 *   FUSE_DACT     op(A) is dz = A * f'(Y) (act_derivative_p of portable.h, fixed parameters of `dAct`; Y laid out as A);
 *   FUSE_ROW_SUMS rowSums[i] = sum_k op(A)[i][k], k in order, by the threads of column block 0 with tx == 0;
 *   FUSE_GATHER   (A not transposed) row i of A is row rowIndex[i]; column block 0 writes the rows it loads to
 *                 gathered [M, K]. Under step capture the indices start at rowIndex + counter[0] * M (stepped entry). */
#include "../common/portable.h"

#define BIAS_NONE 0
#define BIAS_PER_COLUMN 1
#define BIAS_PER_ROW 2

#define FUSE_DACT 1
#define FUSE_ROW_SUMS 2
#define FUSE_GATHER 4

namespace gpuae {

/* The fused operand arguments of A (see the header); fuse == 0 is the plain GEMM. */
struct FusedA {
    int fuse, act;
    const float* y;
    const int* rowIndex;
    float* gathered;
    bool firstBlock;

    __device__ __forceinline__ float load(const float* p, long long at, long long row, int k, int ks, bool gatherRow) const
    {
        float v = p[at];
        if (fuse & FUSE_DACT) v *= act_derivative_p(act, y[at], LEAKY_RELU_SLOPE, ELU_ALPHA, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD);
        if (gatherRow && firstBlock) gathered[row * ks + k] = v;
        return v;
    }
};

/* Stages a BM x BK slice of op(A) (or, with ROWS = BN, a BK x BN slice of op(B) through the
 * transposed view) into registers. "Major" is the operand's contiguous axis in memory. */
template <int THREADS, int ROWS, int BK, bool KCONTIGUOUS>
struct TileLoader {
    /* elements per thread */
    static constexpr int COUNT = ROWS * BK / THREADS;
    static_assert(COUNT >= 1 && (ROWS * BK) % THREADS == 0, "tile must split evenly over the threads");
    float v[COUNT];

    /* Loads rows [r0, r0+ROWS) x k [k0, k0+BK) of a logical matrix L[row][k]; L(row,k) = p[row*ld + k]
     * when KCONTIGUOUS, else p[k*ld + row]. rows / ks bound the matrix. vec: float4 allowed. */
    __device__ __forceinline__ void load(const float* __restrict__ p, int ld, int rows, int ks,
                                         int r0, int k0, int tid, bool vec)
    {
        load(p, ld, rows, ks, r0, k0, tid, vec, FusedA{});
    }

    /* The fused form loads op(A) scalar (fa.fuse != 0): rows through fa.rowIndex, values times f'(Y). */
    __device__ __forceinline__ void load(const float* __restrict__ p, int ld, int rows, int ks,
                                         int r0, int k0, int tid, bool vec, const FusedA& fa)
    {
        if (fa.fuse) {
            const bool gather = KCONTIGUOUS && (fa.fuse & FUSE_GATHER);
            #pragma unroll
            for (int q = 0; q < COUNT; q++) {
                int idx = q * THREADS + tid;
                int r, k;
                if (KCONTIGUOUS) { r = idx / BK; k = idx % BK; } else { k = idx / ROWS; r = idx % ROWS; }
                int gr = r0 + r, gk = k0 + k;
                if (gr < rows && gk < ks) {
                    long long src = gather ? fa.rowIndex[gr] : gr;
                    v[q] = fa.load(p, KCONTIGUOUS ? src * ld + gk : (long long)gk * ld + gr, gr, gk, ks, gather);
                } else {
                    v[q] = 0.0f;
                }
            }
            return;
        }
        if (KCONTIGUOUS) {
            /* quads along k: thread handles COUNT/4 quads (or COUNT scalars) */
            if (COUNT % 4 == 0 && vec) {
                #pragma unroll
                for (int q = 0; q < COUNT / 4; q++) {
                    int idx = (q * THREADS + tid) * 4;      /* element index inside the ROWS x BK slice */
                    int r = idx / BK, k = idx % BK;
                    int gr = r0 + r, gk = k0 + k;
                    if (gr < rows && gk + 3 < ks) {
                        float4 t = *reinterpret_cast<const float4*>(p + (long long)gr * ld + gk);
                        v[q * 4 + 0] = t.x; v[q * 4 + 1] = t.y; v[q * 4 + 2] = t.z; v[q * 4 + 3] = t.w;
                    } else {
                        #pragma unroll
                        for (int j = 0; j < 4; j++)
                            v[q * 4 + j] = (gr < rows && gk + j < ks) ? p[(long long)gr * ld + gk + j] : 0.0f;
                    }
                }
            } else {
                #pragma unroll
                for (int q = 0; q < COUNT; q++) {
                    int idx = q * THREADS + tid;
                    int r = idx / BK, k = idx % BK;
                    int gr = r0 + r, gk = k0 + k;
                    v[q] = (gr < rows && gk < ks) ? p[(long long)gr * ld + gk] : 0.0f;
                }
            }
        } else {
            /* quads along rows */
            if (COUNT % 4 == 0 && vec) {
                #pragma unroll
                for (int q = 0; q < COUNT / 4; q++) {
                    int idx = (q * THREADS + tid) * 4;
                    int k = idx / ROWS, r = idx % ROWS;
                    int gr = r0 + r, gk = k0 + k;
                    if (gk < ks && gr + 3 < rows) {
                        float4 t = *reinterpret_cast<const float4*>(p + (long long)gk * ld + gr);
                        v[q * 4 + 0] = t.x; v[q * 4 + 1] = t.y; v[q * 4 + 2] = t.z; v[q * 4 + 3] = t.w;
                    } else {
                        #pragma unroll
                        for (int j = 0; j < 4; j++)
                            v[q * 4 + j] = (gk < ks && gr + j < rows) ? p[(long long)gk * ld + gr + j] : 0.0f;
                    }
                }
            } else {
                #pragma unroll
                for (int q = 0; q < COUNT; q++) {
                    int idx = q * THREADS + tid;
                    int k = idx / ROWS, r = idx % ROWS;
                    int gr = r0 + r, gk = k0 + k;
                    v[q] = (gk < ks && gr < rows) ? p[(long long)gk * ld + gr] : 0.0f;
                }
            }
        }
    }

    /* Writes the staged values to shared memory as S[k][row] (row-contiguous, what the FMA loop reads). */
    __device__ __forceinline__ void store(float* s, int tid, bool vec) const
    {
        const bool quads = COUNT % 4 == 0 && vec;
        #pragma unroll
        for (int q = 0; q < COUNT; q++) {
            int idx = quads ? (q / 4 * THREADS + tid) * 4 + q % 4 : q * THREADS + tid;
            int r, k;
            if (KCONTIGUOUS) { r = idx / BK; k = idx % BK; } else { k = idx / ROWS; r = idx % ROWS; }
            s[k * ROWS + r] = v[q];
        }
    }
};

template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__device__ __forceinline__ void gemm_tiled(int M, int N, int K, float alpha,
    const float* __restrict__ A, int aOff, int lda, const float* __restrict__ B, int bOff, int ldb,
    float beta, float* __restrict__ C, int cOff, int ldc, int biasMode, const float* __restrict__ bias, int biasOff, int act,
    FusedA fa, float* __restrict__ rowSums)
{
    constexpr int THREADS = (BM / TM) * (BN / TN);
    static_assert(THREADS == 256, "configurations use 256 threads");
    __shared__ __align__(16) float As[2][BK * BM];
    __shared__ __align__(16) float Bs[2][BK * BN];

    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN), ty = tid / (BN / TN);
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    A += aOff; B += bOff; C += cOff;

    /* op(A) as L[m][k]: A [M,K] is k-contiguous; A^T (A stored [K,M]) is m-contiguous.
     * op(B) as L[n][k]: B [K,N] is n-contiguous; B^T (B stored [N,K]) is k-contiguous. */
    TileLoader<THREADS, BM, BK, !TA> la;
    TileLoader<THREADS, BN, BK, TB> lb;
    const bool vecA = fa.fuse == 0 && (aOff & 3) == 0 && (lda & 3) == 0;   /* the store must match the load's layout */
    fa.firstBlock = blockIdx.x == 0;
    const bool sums = (fa.fuse & FUSE_ROW_SUMS) && blockIdx.x == 0 && tx == 0;
    float rs[TM];
    #pragma unroll
    for (int i = 0; i < TM; i++) rs[i] = 0.0f;
    const bool vecB = (bOff & 3) == 0 && (ldb & 3) == 0;

    float acc[TM][TN];
    #pragma unroll
    for (int i = 0; i < TM; i++)
        #pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;

    const int tiles = (K + BK - 1) / BK;
    if (tiles > 0) {
        la.load(A, lda, M, K, m0, 0, tid, vecA, fa);
        lb.load(B, ldb, N, K, n0, 0, tid, vecB);
        la.store(As[0], tid, vecA);
        lb.store(Bs[0], tid, vecB);
    }
    __syncthreads();
    for (int t = 0; t < tiles; t++) {
        const int cur = t & 1;
        if (t + 1 < tiles) {
            la.load(A, lda, M, K, m0, (t + 1) * BK, tid, vecA, fa);
            lb.load(B, ldb, N, K, n0, (t + 1) * BK, tid, vecB);
        }
        #pragma unroll
        for (int k = 0; k < BK; k++) {
            float a[TM], b[TN];
            #pragma unroll
            for (int i = 0; i < TM; i += 4 < TM ? 4 : TM) {
                if (TM >= 4) {
                    float4 t4 = *reinterpret_cast<const float4*>(&As[cur][k * BM + ty * TM + i]);
                    a[i] = t4.x; a[i + 1] = t4.y; a[i + 2] = t4.z; a[i + 3] = t4.w;
                } else {
                    #pragma unroll
                    for (int u = 0; u < TM; u++) a[u] = As[cur][k * BM + ty * TM + u];
                }
            }
            #pragma unroll
            for (int j = 0; j < TN; j += 4 < TN ? 4 : TN) {
                if (TN >= 4) {
                    float4 t4 = *reinterpret_cast<const float4*>(&Bs[cur][k * BN + tx * TN + j]);
                    b[j] = t4.x; b[j + 1] = t4.y; b[j + 2] = t4.z; b[j + 3] = t4.w;
                } else {
                    #pragma unroll
                    for (int u = 0; u < TN; u++) b[u] = Bs[cur][k * BN + tx * TN + u];
                }
            }
            if (sums) {
                #pragma unroll
                for (int i = 0; i < TM; i++) rs[i] += a[i];
            }
            #pragma unroll
            for (int i = 0; i < TM; i++)
                #pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (t + 1 < tiles) {
            /* the other buffer was last read in iteration t-1, before the barrier that ended it */
            la.store(As[cur ^ 1], tid, vecA);
            lb.store(Bs[cur ^ 1], tid, vecB);
        }
        __syncthreads();
    }

    #pragma unroll
    for (int i = 0; i < TM; i++) {
        const int row = m0 + ty * TM + i;
        if (row >= M) continue;
        if (sums) rowSums[row] = rs[i];
        #pragma unroll
        for (int j = 0; j < TN; j++) {
            const int col = n0 + tx * TN + j;
            if (col >= N) continue;
            float v = alpha * acc[i][j];
            float* c = C + (long long)row * ldc + col;
            if (beta != 0.0f) v += beta * *c;
            if (biasMode == BIAS_PER_COLUMN) v += bias[biasOff + col];
            else if (biasMode == BIAS_PER_ROW) v += bias[biasOff + row];
            *c = act_forward(act, v);
        }
    }
}

} /* namespace gpuae */

#define GEMM_PARAMS int M, int N, int K, float alpha, const float* __restrict__ A, int aOff, int lda,   \
    const float* __restrict__ B, int bOff, int ldb, float beta, float* __restrict__ C, int cOff, int ldc, \
    int biasMode, const float* __restrict__ bias, int biasOff, int act,                                   \
    int fuse, int dAct, const float* __restrict__ Y, int yOff, float* __restrict__ rowSums, int rsOff,     \
    const int* __restrict__ rowIndex, int riOff, float* __restrict__ gathered, int gOff
#define GEMM_ARGS(indexBase) M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, biasMode, bias, biasOff, act, \
    gpuae::FusedA{fuse, dAct, Y + yOff, (indexBase), gathered + gOff, false}, rowSums + rsOff

#define GEMM_ENTRY(tile, BM, BN, BK, TM, TN, ta, tb, TA, TB)                                        \
    extern "C" __global__ void __launch_bounds__(256) gemm_f32_##tile##_##ta##tb(GEMM_PARAMS)       \
    { gpuae::gemm_tiled<BM, BN, BK, TM, TN, TA, TB>(GEMM_ARGS(rowIndex + riOff)); }

#define GEMM_TILE(tile, BM, BN, BK, TM, TN)                                  \
    GEMM_ENTRY(tile, BM, BN, BK, TM, TN, n, n, false, false)                 \
    GEMM_ENTRY(tile, BM, BN, BK, TM, TN, n, t, false, true)                  \
    GEMM_ENTRY(tile, BM, BN, BK, TM, TN, t, n, true, false)                  \
    GEMM_ENTRY(tile, BM, BN, BK, TM, TN, t, t, true, true)

GEMM_TILE(t128, 128, 128, 8, 8, 8)
GEMM_TILE(t64, 64, 64, 16, 4, 4)
GEMM_TILE(t32, 32, 32, 16, 2, 2)

/* Under step capture (CudaBackend.CaptureStep) the gathering GEMM reads its indices at rowIndex + riOff + counter[0] * M,
 * counter being the replayed step's batch position in device memory, as gather_rows_stepped does. */
#define GEMM_STEPPED_ENTRY(tile, BM, BN, BK, TM, TN)                                                           \
    extern "C" __global__ void __launch_bounds__(256) gemm_f32_##tile##_nt_stepped(GEMM_PARAMS, const int* counter) \
    { gpuae::gemm_tiled<BM, BN, BK, TM, TN, false, true>(GEMM_ARGS(rowIndex + riOff + (long long)counter[0] * M)); }

GEMM_STEPPED_ENTRY(t128, 128, 128, 8, 8, 8)
GEMM_STEPPED_ENTRY(t64, 64, 64, 16, 4, 4)
GEMM_STEPPED_ENTRY(t32, 32, 32, 16, 2, 2)
