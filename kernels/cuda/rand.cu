/* rand.cu - the portable body of kernels/opencl/rand.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/rand.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/rand.cl"

/* random_fill for a graph-captured training step: the stream starts at counter steps[counter[0]] * blocksPerStep,
 * i.e. IBackend.RandomForStep with the optimizer step t read from the per-epoch table (one int per step). */
extern "C" __global__ void random_fill_stepped(int distribution, u64 seed, u64 blocksPerStep, float* y, int yOff, int n,
                                               const int* counter, const int* steps)
{
    u64 offset = (u64)steps[counter[0]] * blocksPerStep;
    random_fill_block(distribution, seed, offset, y, yOff, n, GID(0));
}
