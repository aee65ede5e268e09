/* conv.cl - convolution by im2col: im2col, col2im (gather, no atomics) and the CNHW<->NCHW axis swap.
 * Portable body. Geometry: C x H x W input, KH x KW kernel, stride, padding (top/left), dilation;
 * OH x OW output. The column matrix is [C*KH*KW, batch*OH*OW], column = (image, oy, ox). */
#include "portable.h"

/* One work-item per column-matrix element. Padding reads as zero. Overwrites. */
KERNEL void im2col(GLOBAL const float* x, int xOff, GLOBAL float* columns, int columnsOff,
                   int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                   int PT, int PL, int DH, int DW, int OH, int OW)
{
    int i = GID(0);
    int cols = batch * OH * OW;
    if (i >= C * KH * KW * cols) return;
    int r = i / cols, col = i - r * cols;
    int kx = r % KW, ky = (r / KW) % KH, c = r / (KW * KH);
    int ox = col % OW, oy = (col / OW) % OH, n = col / (OW * OH);
    int h = oy * SH - PT + ky * DH, w = ox * SW - PL + kx * DW;
    float v = 0.0f;
    if (h >= 0 && h < H && w >= 0 && w < W) v = x[xOff + ((n * C + c) * H + h) * W + w];
    columns[columnsOff + i] = v;
}

/* Adjoint of im2col: one work-item per input element gathers every column entry that read it,
 * in (ky, kx) order. Overwrites dx [batch, C, H, W]. */
KERNEL void col2im(GLOBAL const float* columns, int columnsOff, GLOBAL float* dx, int dxOff,
                   int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                   int PT, int PL, int DH, int DW, int OH, int OW)
{
    int i = GID(0);
    if (i >= batch * C * H * W) return;
    int w = i % W, h = (i / W) % H, c = (i / (W * H)) % C, n = i / (W * H * C);
    int cols = batch * OH * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ky++) {
        int ty = h + PT - ky * DH;
        if (ty < 0 || ty % SH != 0) continue;
        int oy = ty / SH;
        if (oy >= OH) continue;
        for (int kx = 0; kx < KW; kx++) {
            int tx = w + PL - kx * DW;
            if (tx < 0 || tx % SW != 0) continue;
            int ox = tx / SW;
            if (ox >= OW) continue;
            int r = (c * KH + ky) * KW + kx;
            sum += columns[columnsOff + r * cols + (n * OH + oy) * OW + ox];
        }
    }
    dx[dxOff + i] = sum;
}

/* source [a, b, inner] -> destination [b, a, inner]. Overwrites. One work-item per destination element. */
KERNEL void swap_leading_axes(int a, int b, int inner, GLOBAL const float* source, int sourceOff,
                              GLOBAL float* destination, int destinationOff)
{
    int i = GID(0);
    if (i >= a * b * inner) return;
    int k = i % inner, ia = (i / inner) % a, ib = i / (inner * a);
    destination[destinationOff + i] = source[sourceOff + (ia * b + ib) * inner + k];
}
