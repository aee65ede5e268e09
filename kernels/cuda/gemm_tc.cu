/* gemm_tc.cu - the tensor-core GEMM: same contract as gemm.cu (C = act(alpha op(A) op(B) + beta C + bias),
 * row-major, edge-safe), inputs rounded to TF32 (cvt.rna), FP32 accumulation, via mma.sync
 * m16n8k8 (sm_80+). Opt-in (--precision tf32): TF32 keeps 10 mantissa bits, so results differ from
 * FP32 by ~1e-3 relative. Compiled for compute_80 (see the per-file arch in the .csproj); the host
 * only binds it on devices of compute capability >= 8.0.
 *   gemm_tf32_<nn|nt|tn|tt>   block 128 threads = 2x2 warps, tile 64x64, BK = 16; each warp owns a
 *                             32x32 sub-tile = 2 x 4 mma tiles. Shared tiles are [row][BK+4] with k
 *                             contiguous: the fragment reads (row g, col t) hit 32 distinct banks.
 * Launch: grid (ceil(N/64), ceil(M/64)), block 128. */
#include "../common/portable.h"

#define BIAS_NONE 0
#define BIAS_PER_COLUMN 1
#define BIAS_PER_ROW 2

#define TC_BM 64
#define TC_BN 64
#define TC_BK 16
#define TC_PAD 4
#define TC_THREADS 128

namespace gpuae {

/* The two tensor-core instructions; kernels/cuda/emu/cuda_emu.h emulates both on the CPU (GPUAE_CUDA_EMU). */
#if __CUDA_ARCH__ >= 800 || defined(GPUAE_CUDA_EMU)
#define GPUAE_HAS_TF32 1
#endif

__device__ __forceinline__ unsigned int to_tf32(float x)
{
    unsigned int r;
#if __CUDA_ARCH__ >= 800
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
#elif defined(GPUAE_CUDA_EMU)
    r = gpuae_emu_cvt_rna_tf32(x);
#else
    r = __float_as_uint(x);
#endif
    return r;
}

/* d += A(16x8, row) * B(8x8, col) for one warp; fragments as the PTX ISA lays them out for m16n8k8 tf32. */
__device__ __forceinline__ void mma_tf32(float* d, const unsigned int* a, const unsigned int* b)
{
#if __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#elif defined(GPUAE_CUDA_EMU)
    gpuae_emu_mma_m16n8k8_tf32(d, a, b);
#endif
}

template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tf32(int M, int N, int K, float alpha,
    const float* __restrict__ A, int aOff, int lda, const float* __restrict__ B, int bOff, int ldb,
    float beta, float* __restrict__ C, int cOff, int ldc, int biasMode, const float* __restrict__ bias, int biasOff, int act)
{
#if GPUAE_HAS_TF32
    __shared__ unsigned int As[TC_BM][TC_BK + TC_PAD];
    __shared__ unsigned int Bs[TC_BN][TC_BK + TC_PAD];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 1, wn = warp & 1, g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * TC_BM, n0 = blockIdx.x * TC_BN;
    A += aOff; B += bOff; C += cOff;

    float acc[2][4][4];
    #pragma unroll
    for (int i = 0; i < 2; i++)
        #pragma unroll
        for (int j = 0; j < 4; j++)
            #pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TC_BK) {
        #pragma unroll
        for (int q = 0; q < TC_BM * TC_BK / TC_THREADS; q++) {
            int idx = q * TC_THREADS + tid, r, k;
            /* coalesced along the operand's contiguous axis */
            if (!TA) { r = idx / TC_BK; k = idx % TC_BK; } else { k = idx / TC_BM; r = idx % TC_BM; }
            int gm = m0 + r, gk = k0 + k;
            float v = 0.0f;
            if (gm < M && gk < K) v = TA ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk];
            As[r][k] = to_tf32(v);
        }
        #pragma unroll
        for (int q = 0; q < TC_BN * TC_BK / TC_THREADS; q++) {
            int idx = q * TC_THREADS + tid, r, k;
            if (TB) { r = idx / TC_BK; k = idx % TC_BK; } else { k = idx / TC_BN; r = idx % TC_BN; }
            int gn = n0 + r, gk = k0 + k;
            float v = 0.0f;
            if (gn < N && gk < K) v = TB ? B[(long long)gn * ldb + gk] : B[(long long)gk * ldb + gn];
            Bs[r][k] = to_tf32(v);
        }
        __syncthreads();
        #pragma unroll
        for (int kk = 0; kk < TC_BK; kk += 8) {
            unsigned int a[2][4], b[4][2];
            #pragma unroll
            for (int mi = 0; mi < 2; mi++) {
                int r = wm * 32 + mi * 16 + g;
                a[mi][0] = As[r][kk + t];
                a[mi][1] = As[r + 8][kk + t];
                a[mi][2] = As[r][kk + t + 4];
                a[mi][3] = As[r + 8][kk + t + 4];
            }
            #pragma unroll
            for (int ni = 0; ni < 4; ni++) {
                int c = wn * 32 + ni * 8 + g;
                b[ni][0] = Bs[c][kk + t];
                b[ni][1] = Bs[c][kk + t + 4];
            }
            #pragma unroll
            for (int mi = 0; mi < 2; mi++)
                #pragma unroll
                for (int ni = 0; ni < 4; ni++) mma_tf32(acc[mi][ni], a[mi], b[ni]);
        }
        __syncthreads();
    }

    #pragma unroll
    for (int mi = 0; mi < 2; mi++)
        #pragma unroll
        for (int ni = 0; ni < 4; ni++)
            #pragma unroll
            for (int e = 0; e < 4; e++) {
                int row = m0 + wm * 32 + mi * 16 + g + (e >= 2 ? 8 : 0);
                int col = n0 + wn * 32 + ni * 8 + 2 * t + (e & 1);
                if (row >= M || col >= N) continue;
                float v = alpha * acc[mi][ni][e];
                float* c = C + (long long)row * ldc + col;
                if (beta != 0.0f) v += beta * *c;
                if (biasMode == BIAS_PER_COLUMN) v += bias[biasOff + col];
                else if (biasMode == BIAS_PER_ROW) v += bias[biasOff + row];
                *c = act_forward(act, v);
            }
#endif
}

} /* namespace gpuae */

#define GEMM_PARAMS_TC int M, int N, int K, float alpha, const float* __restrict__ A, int aOff, int lda,   \
    const float* __restrict__ B, int bOff, int ldb, float beta, float* __restrict__ C, int cOff, int ldc, \
    int biasMode, const float* __restrict__ bias, int biasOff, int act
#define GEMM_ARGS_TC M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, biasMode, bias, biasOff, act

extern "C" __global__ void __launch_bounds__(TC_THREADS) gemm_tf32_nn(GEMM_PARAMS_TC) { gpuae::gemm_tf32<false, false>(GEMM_ARGS_TC); }
extern "C" __global__ void __launch_bounds__(TC_THREADS) gemm_tf32_nt(GEMM_PARAMS_TC) { gpuae::gemm_tf32<false, true>(GEMM_ARGS_TC); }
extern "C" __global__ void __launch_bounds__(TC_THREADS) gemm_tf32_tn(GEMM_PARAMS_TC) { gpuae::gemm_tf32<true, false>(GEMM_ARGS_TC); }
extern "C" __global__ void __launch_bounds__(TC_THREADS) gemm_tf32_tt(GEMM_PARAMS_TC) { gpuae::gemm_tf32<true, true>(GEMM_ARGS_TC); }
