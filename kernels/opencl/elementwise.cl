/* elementwise.cl - fill / axpy / scale / add_clamped_noise. Portable body (see kernels/common/portable.h).
 * One work-item per element; the host rounds the global size up, so every kernel bounds-checks. */
#include "portable.h"

/* x[i] = value. Overwrites. */
KERNEL void fill(GLOBAL float* x, int xOff, int n, float value)
{
    int i = GID(0);
    if (i < n) x[xOff + i] = value;
}

/* y[i] += alpha * x[i]. Accumulates. */
KERNEL void axpy(int n, float alpha, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int i = GID(0);
    if (i < n) y[yOff + i] += alpha * x[xOff + i];
}

/* noise[i] = clamp(clean[i] + factor * noise[i], lo, hi). Overwrites noise (the corrupted input). */
KERNEL void add_clamped_noise(int n, GLOBAL const float* clean, int cleanOff, float factor, GLOBAL float* noise, int noiseOff,
                              float lo, float hi)
{
    int i = GID(0);
    if (i < n) noise[noiseOff + i] = fmin(fmax(clean[cleanOff + i] + factor * noise[noiseOff + i], lo), hi);
}

/* x[i] *= alpha. In place. */
KERNEL void scale(GLOBAL float* x, int xOff, int n, float alpha)
{
    int i = GID(0);
    if (i < n) x[xOff + i] *= alpha;
}

/* destination[i, :] = source[indices[i], :]. Overwrites. NDRange (column, row). */
KERNEL void gather_rows(GLOBAL const float* source, int sourceOff, int rowLength,
                        GLOBAL const int* indices, int indicesOff, int count,
                        GLOBAL float* destination, int destinationOff)
{
    int col = GID(0), row = GID(1);
    if (col >= rowLength || row >= count) return;
    destination[destinationOff + row * rowLength + col] = source[sourceOff + indices[indicesOff + row] * rowLength + col];
}
