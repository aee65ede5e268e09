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

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x = 1, y = 1, z = 1; };
struct float4 { float x, y, z, w; };

inline thread_local uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* gpuae_emu_barrier;

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
                std::vector<std::thread> pool;
                pool.reserve(threads);
                for (unsigned t = 0; t < threads; t++)
                    pool.emplace_back([&, t] {
                        blockIdx = {bx, by, bz};
                        threadIdx = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                        kernel(args...);
                    });
                for (auto& th : pool) th.join();
            }
}
