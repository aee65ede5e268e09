/* stepped_emu.cpp - the CUDA-only step-state kernels (elementwise.cu, optim.cu) on the CPU emulator:
 * gather_rows_stepped == gather_rows at start counter*count, optimizer_update_stepped == optimizer_update
 * with (lr, bc1, bc2sqrt) from the table row of the counter, for every optimizer; step_advance adds one.
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

    for (int kind = 0; kind <= 5; kind++) {
        const int n = 37;
        std::vector<float> p1(n), g(n), s11(n), s21(n);
        for (int i = 0; i < n; i++) { p1[i] = 0.1f * i - 1; g[i] = 0.05f * (i % 7) - 0.1f; s11[i] = 0.01f * i; s21[i] = 0.001f * i; }
        auto p2 = p1, s12 = s11, s22 = s21;
        float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-7f, mom = 0.9f, rho = 0.9f, wd = 0.01f;
        int step = 3;
        float bc1 = (float)(1 - pow((double)b1, step)), bc2 = (float)sqrt(1 - pow((double)b2, step));
        std::vector<float> table = {0, 0, 0, 0, 0, 0, lr, bc1, bc2};
        int c = 2;
        emu_launch(optimizer_update, dim3{1, 1, 1}, dim3{64, 1, 1}, kind, n, p1.data(), 0, (const float*)g.data(), 0, s11.data(), 0, s21.data(), 0,
                   lr, b1, b2, eps, mom, rho, wd, bc1, bc2);
        emu_launch(optimizer_update_stepped, dim3{1, 1, 1}, dim3{64, 1, 1}, kind, n, p2.data(), 0, (const float*)g.data(), 0, s12.data(), 0,
                   s22.data(), 0, b1, b2, eps, mom, rho, wd, (const int*)&c, (const float*)table.data());
        if (p1 != p2 || s11 != s12 || s21 != s22) { failures++; printf("FAIL optimizer_update_stepped kind %d\n", kind); }
    }
    int steps = 41;
    emu_launch(step_advance, dim3{1, 1, 1}, dim3{1, 1, 1}, &steps);
    if (steps != 42) { failures++; printf("FAIL step_advance\n"); }
    printf("step-state kernels on the CPU emulator: %d failures\n", failures);
    return failures ? 1 : 0;
}
