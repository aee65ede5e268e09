/* stepped_emu.cpp - the CUDA-only step-state kernels (elementwise.cu, optim.cu) on the CPU emulator:
 * gather_rows_stepped == gather_rows at start counter*count, optimizer_update_stepped == optimizer_update
 * with (step, aux, decay) from the table row of the counter, for every optimizer and option; step_advance adds one.
 *   g++-11 -std=c++20 -O1 -pthread -I kernels/common kernels/cuda/emu/stepped_emu.cpp -o /tmp/stepped_emu && /tmp/stepped_emu */
#include "cuda_emu.h"
#include "../elementwise.cu"
#include "../optim.cu"
#include <cmath>
#include <cstdio>
#include <vector>

int main()
{
    int failures = 0;
    /* gather: 10 rows of 5, batch of 3, step 2 -> order[offset + 6 .. 9) */
    std::vector<float> src(50), a(20, -1.0f), b(20, -1.0f);   /* 15 written, 5 guard */
    for (int i = 0; i < 50; i++) src[i] = (float)i;
    std::vector<int> order = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 9};
    int counter = 2;
    /* NDRange (column, row) over-covered in both dimensions, as the host may launch it */
    emu_launch(gather_rows, dim3{1, 2, 1}, dim3{8, 2, 1}, (const float*)src.data(), 0, 5, (const int*)order.data(), 1 + 6, 3, a.data(), 0);
    emu_launch(gather_rows_stepped, dim3{1, 2, 1}, dim3{8, 2, 1}, (const float*)src.data(), 0, 5, (const int*)order.data(), 1, 3, b.data(), 0,
               (const int*)&counter);
    if (a != b) { failures++; printf("FAIL gather_rows_stepped\n"); }
    for (int i = 0; i < 20; i++) {
        float want = i < 15 ? (float)(order[1 + 6 + i / 5] * 5 + i % 5) : -1.0f;   /* rows order[7..9], guard untouched */
        if (a[i] != want) { failures++; printf("FAIL gather_rows element %d: %g, want %g\n", i, a[i], want); break; }
    }

    /* every rule and option: (kind, flags, c1, c1c, c2, c2c, eps, l2) as OptimizerStep.Scalars forms them */
    struct Variant { int kind, flags; float c1, c1c, c2, c2c, eps, l2, step, aux, decay; };
    const Variant variants[] = {
        {0, 0, 0, 0, 0, 0, 0, 0.01f, 1e-2f, 1, 1},                   /* SGD with L2 */
        {1, 0, 0.9f, 0, 0, 0, 0, 0, 1e-2f, 0.5f, 1},                  /* momentum, dampening 0.5 */
        {2, 0, 0.9f, 0, 0, 0, 0, 0.01f, 1e-2f, 1, 1},                 /* Nesterov with L2 */
        {3, 0, 0.9f, 0.1f, 0, 0, 1e-7f, 0, 1e-2f, 1, 1},              /* RMSprop */
        {3, 1, 0.99f, 0.01f, 0.5f, 0, 1e-8f, 0.01f, 1e-2f, 1, 1},     /* centred RMSprop with momentum and L2 */
        {4, 0, 0.9f, 0.1f, 0.999f, 0.001f, 1e-7f, 0.01f, 3.7e-2f, 0.0547f, 1},  /* Adam (step size, sqrt(1 - b2^t)) */
        {5, 0, 0.9f, 0.1f, 0.999f, 0.001f, 1e-8f, 0, 3.7e-2f, 0.0547f, 0.9999f}, /* AdamW (decay 1 - lr wd) */
    };
    for (const Variant& v : variants) {
        const int n = 37;
        std::vector<float> p1(n), g(n), s11(n), s21(n), s31(n);
        for (int i = 0; i < n; i++) { p1[i] = 0.1f * i - 1; g[i] = 0.05f * (i % 7) - 0.1f; s11[i] = 0.01f * i + 0.01f; s21[i] = 0.001f * i; s31[i] = 0.001f * (i % 5); }
        auto p2 = p1, s12 = s11, s22 = s21, s32 = s31;
        std::vector<float> table = {0, 0, 0, 0, 0, 0, v.step, v.aux, v.decay};
        int c = 2;
        emu_launch(optimizer_update, dim3{1, 1, 1}, dim3{64, 1, 1}, v.kind, v.flags, n, p1.data(), 0, (const float*)g.data(), 0, s11.data(), 0,
                   s21.data(), 0, s31.data(), 0, v.c1, v.c1c, v.c2, v.c2c, v.eps, v.l2, v.step, v.aux, v.decay);
        emu_launch(optimizer_update_stepped, dim3{1, 1, 1}, dim3{64, 1, 1}, v.kind, v.flags, n, p2.data(), 0, (const float*)g.data(), 0, s12.data(), 0,
                   s22.data(), 0, s32.data(), 0, v.c1, v.c1c, v.c2, v.c2c, v.eps, v.l2, (const int*)&c, (const float*)table.data());
        if (p1 != p2 || s11 != s12 || s21 != s22 || s31 != s32) { failures++; printf("FAIL optimizer_update_stepped kind %d flags %d\n", v.kind, v.flags); }
        bool changed = false;
        for (int i = 0; i < n; i++) changed |= p1[i] != 0.1f * i - 1;
        if (!changed) { failures++; printf("FAIL optimizer_update kind %d left the parameters alone\n", v.kind); }
    }
    int steps = 41;
    emu_launch(step_advance, dim3{1, 1, 1}, dim3{1, 1, 1}, &steps);
    if (steps != 42) { failures++; printf("FAIL step_advance\n"); }
    printf("step-state kernels on the CPU emulator: %d failures\n", failures);
    return failures ? 1 : 0;
}
