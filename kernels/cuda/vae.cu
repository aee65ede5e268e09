/* vae.cu - the portable body of kernels/opencl/vae.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/vae.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/vae.cl"
