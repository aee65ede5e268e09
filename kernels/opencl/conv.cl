/* conv.cl - convolution by im2col: im2col, col2im (gather, no atomics) and the CNHW<->NCHW axis swap.
 * Portable body. Geometry: C x H x W input, KH x KW kernel, stride, padding (top/left), dilation;
 * OH x OW output. The column matrix is [C*KH*KW, batch*OH*OW], column = (image, oy, ox). */
#include "portable.h"

/* NDRange (ox, image*OH + oy, row of the patch c*KH*KW + ky*KW + kx): one work-item per column-matrix
 * element, decoded without per-element divisions along dimension 0. Padding reads as zero. Overwrites. */
KERNEL void im2col(GLOBAL const float* x, int xOff, GLOBAL float* columns, int columnsOff,
                   int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                   int PT, int PL, int DH, int DW, int OH, int OW)
{
    int ox = GID(0), line = GID(1), r = GID(2);
    if (ox >= OW) return;
    int oy = line % OH, n = line / OH;
    int kx = r % KW, ky = (r / KW) % KH, c = r / (KW * KH);
    int h = oy * SH - PT + ky * DH, w = ox * SW - PL + kx * DW;
    float v = 0.0f;
    if (h >= 0 && h < H && w >= 0 && w < W) v = x[xOff + ((n * C + c) * H + h) * W + w];
    columns[columnsOff + (r * batch * OH + line) * OW + ox] = v;
}

/* Adjoint of im2col. NDRange (w, image*H + h, channel): each input element gathers every column entry
 * that read it, in (ky, kx) order (no atomics). Overwrites dx [batch, C, H, W]. */
KERNEL void col2im(GLOBAL const float* columns, int columnsOff, GLOBAL float* dx, int dxOff,
                   int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                   int PT, int PL, int DH, int DW, int OH, int OW)
{
    int w = GID(0), line = GID(1), c = GID(2);
    if (w >= W) return;
    int h = line % H, n = line / H;
    int cols = batch * OH * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ky++) {
        int ty = h + PT - ky * DH;
        if (ty < 0) continue;
        int oy = SH == 1 ? ty : ty / SH;
        if (oy * SH != ty || oy >= OH) continue;
        GLOBAL const float* base = columns + columnsOff + ((c * KH + ky) * KW) * cols + (n * OH + oy) * OW;
        for (int kx = 0; kx < KW; kx++) {
            int tx = w + PL - kx * DW;
            if (tx < 0) continue;
            int ox = SW == 1 ? tx : tx / SW;
            if (ox * SW != tx || ox >= OW) continue;
            sum += base[kx * cols + ox];
        }
    }
    dx[dxOff + (n * C + c) * H * W + h * W + w] = sum;
}

/* source [a, b, inner] -> destination [b, a, inner]. Overwrites. One work-item per destination element
 * (flat; the host uses swap_leading_axes_3d when inner is long enough to fill a work-group row). */
KERNEL void swap_leading_axes(int a, int b, int inner, GLOBAL const float* source, int sourceOff,
                              GLOBAL float* destination, int destinationOff)
{
    int i = GID(0);
    if (i >= a * b * inner) return;
    int k = i % inner, ia = (i / inner) % a, ib = i / (inner * a);
    destination[destinationOff + i] = source[sourceOff + (ia * b + ib) * inner + k];
}

/* As swap_leading_axes over NDRange (k, ia, ib): no index decoding. */
KERNEL void swap_leading_axes_3d(int a, int b, int inner, GLOBAL const float* source, int sourceOff,
                                 GLOBAL float* destination, int destinationOff)
{
    int k = GID(0), ia = GID(1), ib = GID(2);
    if (k >= inner) return;
    destination[destinationOff + (ib * a + ia) * inner + k] = source[sourceOff + (ia * b + ib) * inner + k];
}
