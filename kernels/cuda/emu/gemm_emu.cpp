/* gemm_emu.cpp - runs kernels/cuda/gemm.cu's FP32 kernels on the CPU (cuda_emu.h) against a double
 * reference: every tile x transpose, odd sizes, offsets that break float4 alignment, padded leading
 * dimensions, beta, both bias modes, activations; then the fused operand forms (activation derivative
 * on A's loads, row sums of op(A), gathered A rows, the stepped gathering entry). Exit 1 on any mismatch.
 *   g++-11 -std=c++20 -O1 -pthread -I kernels/common kernels/cuda/emu/gemm_emu.cpp -o /tmp/gemm_emu && /tmp/gemm_emu */
#include "cuda_emu.h"
#include "../gemm.cu"
#include "../gemm_tc.cu"
#include <cstdio>
#include <cstdlib>
#include <random>

typedef void (*GemmFn)(int, int, int, float, const float*, int, int, const float*, int, int, float, float*, int, int, int, const float*, int, int);
/* gemm.cu's FP32 entries: the plain arguments, then (fuse, dAct, Y, yOff, rowSums, rsOff, rowIndex, riOff, gathered, gOff) */
typedef void (*FusedGemmFn)(int, int, int, float, const float*, int, int, const float*, int, int, float, float*, int, int, int, const float*, int, int,
                            int, int, const float*, int, float*, int, const int*, int, float*, int);

struct Tile { const char* name; int bm, bn; GemmFn tf32[4]; FusedGemmFn f32[4]; };

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
        {"t128", 128, 128, {}, {gemm_f32_t128_nn, gemm_f32_t128_nt, gemm_f32_t128_tn, gemm_f32_t128_tt}},
        {"t64", 64, 64, {}, {gemm_f32_t64_nn, gemm_f32_t64_nt, gemm_f32_t64_tn, gemm_f32_t64_tt}},
        {"t32", 32, 32, {}, {gemm_f32_t32_nn, gemm_f32_t32_nt, gemm_f32_t32_tn, gemm_f32_t32_tt}},
        {"tf32", 64, 64, {gemm_tf32_nn, gemm_tf32_nt, gemm_tf32_tn, gemm_tf32_tt}, {}},
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
                if (tile.f32[variant])
                    emu_launch(tile.f32[variant], grid, block, c.m, c.n, c.k, alpha, (const float*)A.data(), c.offA, lda,
                               (const float*)B.data(), c.offB, ldb, beta, C.data(), c.offC, ldc, c.bias, (const float*)bias.data(), 1, c.act,
                               0, 0, (const float*)nullptr, 0, (float*)nullptr, 0, (const int*)nullptr, 0, (float*)nullptr, 0);
                else
                    emu_launch(tile.tf32[variant], grid, block, c.m, c.n, c.k, alpha, (const float*)A.data(), c.offA, lda,
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
    /* fused operand forms (FP32 tiles): dz = dy * f'(y) on A's loads with the row sums of op(dz); gathered A rows */
    struct FusedCase { int m, n, k, act; bool sums, gather; };
    FusedCase fused[] = {
        {1, 1, 1, ACT_RELU, true, false}, {7, 5, 3, ACT_SIGMOID, true, false}, {33, 17, 9, ACT_TANH, false, false},
        {130, 129, 20, ACT_RELU, true, false}, {32, 200, 77, ACT_LINEAR, true, false},
        {1, 1, 1, ACT_LINEAR, false, true}, {37, 19, 11, ACT_LINEAR, false, true}, {130, 33, 70, ACT_LINEAR, false, true},
    };
    for (auto& tile : tiles) {
        if (!tile.f32[0]) continue;
        for (auto& c : fused)
            for (int variant = 0; variant < 4; variant++) {
                bool ta = variant & 2, tb = variant & 1;
                if (c.gather && ta) continue;                       /* gathering reads rows of a non-transposed A */
                int ar = ta ? c.k : c.m, ac = ta ? c.m : c.k, br = tb ? c.n : c.k, bc = tb ? c.k : c.n;
                int lda = ac, ldb = bc, ldc = c.n, sourceRows = c.m * 2 + 3;
                std::vector<float> A((c.gather ? sourceRows : ar) * lda + 1), Y(A.size()), B(br * ldb + 1), C(c.m * ldc + 1),
                    sums(c.m + 2, -9.0f), gathered(c.m * c.k + 2, -9.0f);
                std::vector<int> index(c.m * 2 + 1);
                for (auto* v : {&A, &B}) for (auto& x : *v) x = u(rng);
                for (auto& y : Y) y = (float)act_ref(c.act, 4 * u(rng));   /* y in the activation's range */
                for (auto& i : index) i = (int)(rng() % sourceRows);
                int fuse = (c.act != ACT_LINEAR ? 1 : 0) | (c.sums ? 2 : 0) | (c.gather ? 4 : 0);
                dim3 grid{(unsigned)((c.n + tile.bn - 1) / tile.bn), (unsigned)((c.m + tile.bm - 1) / tile.bm), 1}, block{256, 1, 1};
                int counter = 1;   /* the stepped entry reads the batch at index + 1 * m */
                if (c.gather && variant == 1 && tile.bm == 64)
                    emu_launch(gemm_f32_t64_nt_stepped, grid, block, c.m, c.n, c.k, 1.0f, (const float*)A.data(), 1, lda,
                               (const float*)B.data(), 1, ldb, 0.0f, C.data(), 1, ldc, 0, (const float*)nullptr, 0, ACT_LINEAR,
                               fuse, c.act, (const float*)Y.data(), 1, sums.data(), 2, (const int*)index.data(), 1, gathered.data(), 2,
                               (const int*)&counter);
                else
                    emu_launch(tile.f32[variant], grid, block, c.m, c.n, c.k, 1.0f, (const float*)A.data(), 1, lda,
                               (const float*)B.data(), 1, ldb, 0.0f, C.data(), 1, ldc, 0, (const float*)nullptr, 0, ACT_LINEAR,
                               fuse, c.act, (const float*)Y.data(), 1, sums.data(), 2, (const int*)index.data(), 1, gathered.data(), 2);
                const int* rows = index.data() + 1 + (c.gather && variant == 1 && tile.bm == 64 ? c.m : 0);
                auto dz = [&](int i, int p) -> double {   /* op(dz)[i][p] */
                    long at = c.gather ? (long)rows[i] * lda + p : ta ? (long)p * lda + i : (long)i * lda + p;
                    double d = c.act == ACT_RELU ? (Y[1 + at] > 0 ? 1 : 0) : c.act == ACT_SIGMOID ? Y[1 + at] * (1.0 - Y[1 + at])
                             : c.act == ACT_TANH ? 1.0 - (double)Y[1 + at] * Y[1 + at] : 1.0;
                    return A[1 + at] * d;
                };
                double worst = 0;
                for (int i = 0; i < c.m; i++) {
                    double rowSum = 0;
                    for (int p = 0; p < c.k; p++) {
                        rowSum += dz(i, p);
                        if (c.gather) worst = fmax(worst, fabs(dz(i, p) - gathered[2 + i * c.k + p]));
                    }
                    if (c.sums) worst = fmax(worst, fabs(rowSum - sums[2 + i]));
                    for (int j = 0; j < c.n; j++) {
                        double s = 0;
                        for (int p = 0; p < c.k; p++) s += dz(i, p) * (tb ? B[1 + j * ldb + p] : B[1 + p * ldb + j]);
                        worst = fmax(worst, fabs(s - C[1 + i * ldc + j]));
                    }
                }
                bool outside = sums[0] != -9.0f || sums[1] != -9.0f || (c.sums ? false : sums[2] != -9.0f) || gathered[0] != -9.0f
                    || gathered[1] != -9.0f || (!c.gather && gathered[2] != -9.0f);
                checked++;
                if (worst > 1e-4 * (1 + c.k) || outside) {
                    failures++;
                    printf("FAIL fused %s %c%c m=%d n=%d k=%d act=%d sums=%d gather=%d: max error %.3g%s\n", tile.name, ta ? 't' : 'n',
                           tb ? 't' : 'n', c.m, c.n, c.k, c.act, c.sums, c.gather, worst, outside ? ", wrote outside" : "");
                }
            }
    }
    printf("gemm.cu on the CPU emulator: %d cases, %d failures\n", checked, failures);
    return failures ? 1 : 0;
}
