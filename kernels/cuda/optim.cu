/* optim.cu - the portable body of kernels/opencl/optim.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/optim.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/optim.cl"

/* ---- CUDA only: optimizer_update with the per-step scalars read from device memory ----------------
 * For a graph-captured step: table holds (lr, bc1, bc2sqrt) per step of the epoch, computed by the host
 * in double exactly as for optimizer_update; counter[0] is the step within the epoch. Same update. */
extern "C" __global__ void optimizer_update_stepped(int kind, int n, float* param, int paramOff, const float* grad, int gradOff,
                                                   float* s1, int s1Off, float* s2, int s2Off,
                                                   float beta1, float beta2, float eps, float momentum, float rho,
                                                   float wd, const int* counter, const float* table)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float* row = table + 3 * counter[0];
    float lr = row[0], bc1 = row[1], bc2sqrt = row[2];
    float p = param[paramOff + i], g = grad[gradOff + i];
    if (kind != OPT_ADAMW) g += wd * p;
    if (kind == OPT_SGD) {
        p -= lr * g;
    } else if (kind == OPT_MOMENTUM || kind == OPT_NESTEROV) {
        float v = momentum * s1[s1Off + i] + g;
        s1[s1Off + i] = v;
        p -= kind == OPT_NESTEROV ? lr * (g + momentum * v) : lr * v;
    } else if (kind == OPT_RMSPROP) {
        float s = rho * s1[s1Off + i] + (1.0f - rho) * g * g;
        s1[s1Off + i] = s;
        p -= lr * g / (sqrtf(s) + eps);
    } else {
        if (kind == OPT_ADAMW) p -= lr * wd * p;
        float m = beta1 * s1[s1Off + i] + (1.0f - beta1) * g;
        float v = beta2 * s2[s2Off + i] + (1.0f - beta2) * g * g;
        s1[s1Off + i] = m;
        s2[s2Off + i] = v;
        p -= lr * (m / bc1) / (sqrtf(v) / bc2sqrt + eps);
    }
    param[paramOff + i] = p;
}
