/* elementwise.cu - the portable body of kernels/opencl/elementwise.cl compiled as CUDA C (see kernels/common/portable.h).
 * PoCL runs this exact body in CI through the OpenCL backend; nvcc compiles it here to PTX
 * (kernels/cuda/ptx/elementwise.ptx). CUDA-only fast paths for this family, if any, go below the include. */
#include "../common/portable.h"
#include "../opencl/elementwise.cl"

/* ---- CUDA only: step-state kernels for a graph-captured training step ----------------------------
 * A captured graph replays fixed kernel arguments, so the values that change per step are read from
 * device memory: counter[0] is the step within the epoch (reset by one upload per epoch, advanced by
 * step_advance at the end of every replay). */

/* gather_rows with the batch start taken from the device: rows indices[indicesOff + counter*count + i].
 * NDRange (column, row) as gather_rows; both dimensions bound-checked (the host may over-cover rows). */
extern "C" __global__ void gather_rows_stepped(const float* source, int sourceOff, int rowLength,
                                               const int* indices, int indicesOff, int count,
                                               float* destination, int destinationOff, const int* counter)
{
    int col = GID(0), row = GID(1);
    if (col >= rowLength || row >= count) return;
    int start = indicesOff + counter[0] * count;
    destination[destinationOff + row * rowLength + col] = source[sourceOff + indices[start + row] * rowLength + col];
}

/* counter[0] += 1. One thread; the last node of a captured step. */
extern "C" __global__ void step_advance(int* counter)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) counter[0] += 1;
}
