/* optim.cu - the portable body of kernels/opencl/optim.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/optim.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/optim.cl"

/* ---- CUDA only: optimizer_update with the per-step scalars read from device memory ----------------
 * For a graph-captured step: table holds (step, aux, decay) per step of the epoch, formed by the host in double
 * exactly as for optimizer_update (OptimizerStep.Scalars); counter[0] is the step within the epoch. Same body. */
extern "C" __global__ void optimizer_update_stepped(int kind, int flags, int n, float* param, int paramOff, const float* grad, int gradOff,
                                                   float* s1, int s1Off, float* s2, int s2Off, float* s3, int s3Off,
                                                   float c1, float c1c, float c2, float c2c, float eps, float l2,
                                                   const int* counter, const float* table)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float* row = table + 3 * counter[0];
    optimizer_apply(kind, flags, i, param + paramOff, grad + gradOff, s1 + s1Off, s2 + s2Off, s3 + s3Off,
                    c1, c1c, c2, c2c, eps, l2, row[0], row[1], row[2]);
}
