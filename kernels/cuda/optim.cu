/* optim.cu - the portable body of kernels/opencl/optim.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/optim.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/optim.cl"

/* ---- CUDA only: optimizer_update with the per-step scalars read from device memory ----------------
 * For a graph-captured step: table holds (lr, bc1, bc2sqrt) per step of the epoch, computed by the host
 * in double exactly as for optimizer_update; counter[0] is the step within the epoch. Same body: optimizer_apply. */
extern "C" __global__ void optimizer_update_stepped(int kind, int n, float* param, int paramOff, const float* grad, int gradOff,
                                                   float* s1, int s1Off, float* s2, int s2Off,
                                                   float beta1, float beta2, float eps, float momentum, float rho,
                                                   float wd, const int* counter, const float* table)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float* row = table + 3 * counter[0];
    optimizer_apply(kind, i, param + paramOff, grad + gradOff, s1 + s1Off, s2 + s2Off,
                    row[0], beta1, beta2, eps, momentum, rho, wd, row[1], row[2]);
}
