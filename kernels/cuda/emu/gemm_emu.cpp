/* gemm_emu.cpp - runs kernels/cuda/gemm.cu's FP32 kernels on the CPU (cuda_emu.h) against a double
 * reference: every tile x transpose, odd sizes, offsets that break float4 alignment, padded leading
 * dimensions, beta, both bias modes, activations. Exit 1 on any mismatch.
 *   g++-11 -std=c++20 -O1 -pthread -I kernels/common kernels/cuda/emu/gemm_emu.cpp -o /tmp/gemm_emu && /tmp/gemm_emu */
#include "cuda_emu.h"
#include "../gemm.cu"
#include "../gemm_tc.cu"
#include <cstdio>
#include <cstdlib>
#include <random>

typedef void (*GemmFn)(int, int, int, float, const float*, int, int, const float*, int, int, float, float*, int, int, int, const float*, int, int);

struct Tile { const char* name; int bm, bn; GemmFn fn[4]; };

static double act_ref(int act, double x)
{
    switch (act) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_SIGMOID: return 1 / (1 + exp(-x));
    case ACT_TANH: return tanh(x);
    default: return x;
    }
}

int main()
{
    Tile tiles[] = {
        {"t128", 128, 128, {gemm_f32_t128_nn, gemm_f32_t128_nt, gemm_f32_t128_tn, gemm_f32_t128_tt}},
        {"t64", 64, 64, {gemm_f32_t64_nn, gemm_f32_t64_nt, gemm_f32_t64_tn, gemm_f32_t64_tt}},
        {"t32", 32, 32, {gemm_f32_t32_nn, gemm_f32_t32_nt, gemm_f32_t32_tn, gemm_f32_t32_tt}},
        {"tf32", 64, 64, {gemm_tf32_nn, gemm_tf32_nt, gemm_tf32_tn, gemm_tf32_tt}},
    };
    struct Case { int m, n, k, offA, offB, offC, padA, padB, beta2, bias, act; };
    Case cases[] = {
        {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, ACT_LINEAR},
        {7, 5, 3, 1, 2, 3, 1, 0, 1, 1, ACT_RELU},
        {33, 17, 9, 0, 0, 0, 0, 0, 0, 2, ACT_SIGMOID},
        {64, 64, 32, 0, 0, 0, 0, 0, 0, 1, ACT_LINEAR},       /* aligned: float4 path */
        {64, 64, 32, 4, 8, 0, 4, 4, 1, 0, ACT_TANH},         /* aligned offsets and padded lds */
        {130, 129, 20, 1, 0, 2, 3, 1, 1, 1, ACT_RELU},       /* every edge at once */
        {40, 136, 17, 0, 0, 0, 0, 0, 0, 0, ACT_LINEAR},
    };
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    int failures = 0, checked = 0;
    for (auto& tile : tiles)
        for (auto& c : cases)
            for (int variant = 0; variant < 4; variant++) {
                bool ta = variant & 2, tb = variant & 1;
                int ar = ta ? c.k : c.m, ac = ta ? c.m : c.k, br = tb ? c.n : c.k, bc = tb ? c.k : c.n;
                int lda = ac + c.padA, ldb = bc + c.padB, ldc = c.n + 1;
                std::vector<float> A(c.offA + ar * lda + 8), B(c.offB + br * ldb + 8), C(c.offC + c.m * ldc + 8), bias(c.m + c.n + 4);
                for (auto* v : {&A, &B, &C, &bias}) for (auto& x : *v) x = u(rng);
                std::vector<float> C0 = C;
                float alpha = 0.75f, beta = c.beta2 ? 0.5f : 0.0f;
                dim3 grid{(unsigned)((c.n + tile.bn - 1) / tile.bn), (unsigned)((c.m + tile.bm - 1) / tile.bm), 1}, block{tile.name[1] == 'f' ? 128u : 256u, 1, 1};   /* gemm_tc: 4 warps */
                emu_launch(tile.fn[variant], grid, block, c.m, c.n, c.k, alpha, (const float*)A.data(), c.offA, lda,
                           (const float*)B.data(), c.offB, ldb, beta, C.data(), c.offC, ldc, c.bias, (const float*)bias.data(), 1, c.act);
                double worst = 0;
                for (int i = 0; i < c.m; i++)
                    for (int j = 0; j < c.n; j++) {
                        double s = 0;
                        for (int p = 0; p < c.k; p++)
                            s += (double)(ta ? A[c.offA + p * lda + i] : A[c.offA + i * lda + p]) * (tb ? B[c.offB + j * ldb + p] : B[c.offB + p * ldb + j]);
                        double v = alpha * s + (beta != 0 ? beta * C0[c.offC + i * ldc + j] : 0);
                        if (c.bias == 1) v += bias[1 + j];
                        if (c.bias == 2) v += bias[1 + i];
                        v = act_ref(c.act, v);
                        worst = fmax(worst, fabs(v - C[c.offC + i * ldc + j]));
                    }
                /* nothing outside C's rows x n columns was written */
                bool outside = false;
                for (size_t idx = 0; idx < C.size(); idx++) {
                    long r = ((long)idx - c.offC) / ldc, col = ((long)idx - c.offC) % ldc;
                    bool inside = (long)idx >= c.offC && r < c.m && col < c.n;
                    if (!inside && C[idx] != C0[idx]) outside = true;
                }
                checked++;
                bool tf32 = tile.name[1] == 'f';    /* TF32 keeps 10 mantissa bits: ~5e-4 relative per product */
                if (worst > (tf32 ? 2e-3 : 1e-4) * (1 + c.k) || outside) {
                    failures++;
                    printf("FAIL %s %c%c m=%d n=%d k=%d: max error %.3g%s\n", tile.name, ta ? 't' : 'n', tb ? 't' : 'n', c.m, c.n, c.k, worst,
                           outside ? ", wrote outside C" : "");
                }
            }
    printf("gemm.cu on the CPU emulator: %d cases, %d failures\n", checked, failures);
    return failures ? 1 : 0;
}
