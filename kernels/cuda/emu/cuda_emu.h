/* cuda_emu.h - just enough of CUDA C to run a kernel's logic on the CPU: each block is run by
 * blockDim.x*y*z std::threads, __shared__ becomes a function-static (one block runs at a time) and
 * __syncthreads a std::barrier. For checking index arithmetic, edge handling and barrier placement of
 * kernels in CI, where there is no GPU; not for timing, not for inline PTX (guarded by __CUDA_ARCH__). */
#pragma once
#include <barrier>
#include <math.h>
#include <thread>
#include <vector>
#include <functional>
#include <memory>

#define GPUAE_CUDA_EMU 1

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x = 1, y = 1, z = 1; };
struct float4 { float x, y, z, w; };

inline thread_local uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* gpuae_emu_barrier;
inline std::vector<std::unique_ptr<std::barrier<>>>* gpuae_emu_warp_barriers;
inline thread_local unsigned gpuae_emu_lane, gpuae_emu_warp;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(n)
#define __align__(n) __attribute__((aligned(n)))
#define __syncthreads() gpuae_emu_barrier->arrive_and_wait()
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline unsigned __float_as_uint(float f) { unsigned u; __builtin_memcpy(&u, &f, 4); return u; }
inline float __fmul_rn(float a, float b) { return a * b; }   /* a product never contracted into an fma */

/* cvt.rna.tf32.f32: round the mantissa to 10 bits, to nearest, ties away from zero (finite inputs). */
inline unsigned gpuae_emu_cvt_rna_tf32(float x)
{
    unsigned u;
    __builtin_memcpy(&u, &x, 4);
    return (u + 0x1000u) & 0xffffe000u;
}

/* mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 for the calling warp: every lane deposits its
 * fragments, the warp meets, each lane computes its four D entries from the whole A and B. Fragment
 * layout (PTX ISA, g = lane/4, t = lane%4): a0 A[g][t], a1 A[g+8][t], a2 A[g][t+4], a3 A[g+8][t+4];
 * b0 B[t][g], b1 B[t+4][g]; d0 D[g][2t], d1 D[g][2t+1], d2 D[g+8][2t], d3 D[g+8][2t+1]. */
inline void gpuae_emu_mma_m16n8k8_tf32(float* d, const unsigned* a, const unsigned* b)
{
    static unsigned fa[64][32][4], fb[64][32][2];
    unsigned w = gpuae_emu_warp, lane = gpuae_emu_lane;
    for (int i = 0; i < 4; i++) fa[w][lane][i] = a[i];
    for (int i = 0; i < 2; i++) fb[w][lane][i] = b[i];
    (*gpuae_emu_warp_barriers)[w]->arrive_and_wait();
    float A[16][8], B[8][8];
    for (unsigned l = 0; l < 32; l++) {
        unsigned g = l / 4, t = l % 4;
        unsigned* f = fa[w][l];
        __builtin_memcpy(&A[g][t], &f[0], 4);
        __builtin_memcpy(&A[g + 8][t], &f[1], 4);
        __builtin_memcpy(&A[g][t + 4], &f[2], 4);
        __builtin_memcpy(&A[g + 8][t + 4], &f[3], 4);
        __builtin_memcpy(&B[t][g], &fb[w][l][0], 4);
        __builtin_memcpy(&B[t + 4][g], &fb[w][l][1], 4);
    }
    unsigned g = lane / 4, t = lane % 4;
    for (int e = 0; e < 4; e++) {
        unsigned row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
        float s = 0;
        for (int k = 0; k < 8; k++) s += A[row][k] * B[k][col];
        d[e] += s;
    }
    (*gpuae_emu_warp_barriers)[w]->arrive_and_wait();
}

/* Runs kernel(args...) over grid x block, block by block. */
template <typename... A>
void emu_launch(void (*kernel)(A...), dim3 grid, dim3 block, A... args)
{
    gridDim = grid;
    blockDim = block;
    unsigned threads = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                std::barrier<> barrier(threads);
                gpuae_emu_barrier = &barrier;
                std::vector<std::unique_ptr<std::barrier<>>> warps;
                for (unsigned w = 0; w < (threads + 31) / 32; w++)
                    warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - 32 * w)));
                gpuae_emu_warp_barriers = &warps;
                std::vector<std::thread> pool;
                pool.reserve(threads);
                for (unsigned t = 0; t < threads; t++)
                    pool.emplace_back([&, t] {
                        blockIdx = {bx, by, bz};
                        threadIdx = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                        gpuae_emu_lane = t % 32;
                        gpuae_emu_warp = t / 32;
                        kernel(args...);
                    });
                for (auto& th : pool) th.join();
            }
}
