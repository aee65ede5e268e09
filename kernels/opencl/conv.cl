/* conv.cl - convolution by im2col: im2col, col2im (gather, no atomics) and the CNHW<->NCHW axis swap; and
 * direct convolution (conv_forward, conv_backward_data, conv_backward_filter) with no column matrix.
 * Portable body. Geometry: C x H x W input, KH x KW kernel, stride, padding (top/left), dilation;
 * OH x OW output. The column matrix is [C*KH*KW, batch*OH*OW], column = (image, oy, ox). */
#include "portable.h"
#include "reduce_common.h"

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

/* ---- direct convolution: no column matrix, bias + activation fused, activation derivative inline ----------
 * x [batch, C, H, W], w [F, C, KH, KW], bias [F], y and dy [batch, F, OH, OW] (NCHW). The geometry arguments
 * are im2col's (OH, OW: the output size the host computed). The fused activation has the fixed parameters of
 * portable.h (act_forward, as in the GEMM epilogue); its derivative is act_derivative_p with the same fixed
 * parameters (the standalone activation_backward kernel's code, with ActivationParameters.Default). */

DEVICE_FN float conv_dz(int act, float dy, float y)
{
    return dy * act_derivative_p(act, y, LEAKY_RELU_SLOPE, ELU_ALPHA, SOFTPLUS_BETA, SOFTPLUS_THRESHOLD);
}

/* y = act(bias + w * x). NDRange (ox, (image*F + f)*OH + oy): one work-item per output, summing over
 * (c, ky, kx) in that order with padding read as zero (skipped). Overwrites y. */
KERNEL void conv_forward(GLOBAL const float* x, int xOff, GLOBAL const float* w, int wOff,
                         GLOBAL const float* bias, int biasOff, GLOBAL float* y, int yOff, int act, int F,
                         int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                         int PT, int PL, int DH, int DW, int OH, int OW)
{
    int ox = GID(0), line = GID(1);
    if (ox >= OW) return;
    int oy = line % OH, image = line / OH;
    int f = image % F, n = image / F;
    int iy0 = oy * SH - PT, ix0 = ox * SW - PL;
    GLOBAL const float* xn = x + xOff + n * C * H * W;
    GLOBAL const float* wf = w + wOff + f * C * KH * KW;
    float acc = 0.0f;
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < KH; ky++) {
            int iy = iy0 + ky * DH;
            if (iy < 0 || iy >= H) continue;
            GLOBAL const float* xr = xn + (c * H + iy) * W;
            GLOBAL const float* wr = wf + (c * KH + ky) * KW;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ix0 + kx * DW;
                if (ix >= 0 && ix < W) acc += wr[kx] * xr[ix];
            }
        }
    }
    y[yOff + line * OW + ox] = act_forward(act, acc + bias[biasOff + f]);
}

/* dx = the adjoint of conv_forward through the activation. NDRange (ix, (image*C + c)*H + iy): one work-item
 * per input element gathers, in (f, ky, kx) order, every output whose tap reads it (the stride divides the
 * offset, the output lies inside OH x OW), with dz = dy * f'(y) computed inline. No atomics. Overwrites dx. */
KERNEL void conv_backward_data(GLOBAL const float* y, int yOff, GLOBAL const float* dy, int dyOff,
                               GLOBAL const float* w, int wOff, GLOBAL float* dx, int dxOff, int act, int F,
                               int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                               int PT, int PL, int DH, int DW, int OH, int OW)
{
    int ix = GID(0), line = GID(1);
    if (ix >= W) return;
    int iy = line % H, image = line / H;
    int c = image % C, n = image / C;
    float acc = 0.0f;
    for (int f = 0; f < F; f++) {
        int plane = (n * F + f) * OH * OW;
        GLOBAL const float* wfc = w + wOff + (f * C + c) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            int ty = iy + PT - ky * DH;
            if (ty < 0) continue;
            int oy = SH == 1 ? ty : ty / SH;
            if (oy * SH != ty || oy >= OH) continue;
            for (int kx = 0; kx < KW; kx++) {
                int tx = ix + PL - kx * DW;
                if (tx < 0) continue;
                int ox = SW == 1 ? tx : tx / SW;
                if (ox * SW != tx || ox >= OW) continue;
                int o = plane + oy * OW + ox;
                acc += wfc[ky * KW + kx] * conv_dz(act, dy[dyOff + o], y[yOff + o]);
            }
        }
    }
    dx[dxOff + line * W + ix] = acc;
}

/* dw[f, c, ky, kx] = sum over (image, oy, ox) of dz * x[tap], and db[f] = sum of dz, in one launch: output
 * o < F*C*KH*KW is a weight, the F outputs after them the biases. Each output is reduced by one work-group
 * of REDUCE_LOCAL work-items (reduce_common.h): work-item l takes the output rows (image*OH + oy) l, l + L,
 * ..., sums each row over ox and adds the row sums in order; a fixed binary tree combines the work-items.
 * Why work-groups rather than one work-item per output: the weights are few (hundreds to a few thousand) and
 * each sums batch*OH*OW terms, so one item per weight would leave most of a GPU idle; REDUCE_LOCAL items per
 * weight fill it without the scratch buffer and second launch of a two-stage reduction. On CPU devices
 * (REDUCE_LOCAL = 1) the host launches one work-item per output instead of groups and each sums its rows
 * sequentially. The order depends on the shapes and REDUCE_LOCAL only: deterministic, no atomics.
 * Overwrites dw and db. */
KERNEL void conv_backward_filter(GLOBAL const float* x, int xOff, GLOBAL const float* y, int yOff,
                                 GLOBAL const float* dy, int dyOff, GLOBAL float* dw, int dwOff,
                                 GLOBAL float* db, int dbOff, int act, int F,
                                 int batch, int C, int H, int W, int KH, int KW, int SH, int SW,
                                 int PT, int PL, int DH, int DW, int OH, int OW)
{
    LOCAL float partial[REDUCE_LOCAL];
#if REDUCE_LOCAL > 1
    int out = GROUP(0), lid = LID(0);   /* every group is an output: all work-items reach the barriers */
#else
    int out = GID(0), lid = 0;
#endif
    int patch = C * KH * KW;
    if (out >= F * patch + F) return;
    int isBias = out >= F * patch;
    int f = isBias ? out - F * patch : out / patch;
    int r = out - f * patch;
    int c = r / (KH * KW), ky = (r / KW) % KH, kx = r % KW;
    int dxOffset = kx * DW - PL;
    float acc = 0.0f;
    for (int row = lid; row < batch * OH; row += REDUCE_LOCAL) {
        int oy = row % OH, n = row / OH;
        int at = ((n * F + f) * OH + oy) * OW;
        GLOBAL const float* dyr = dy + dyOff + at;
        GLOBAL const float* yr = y + yOff + at;
        float s = 0.0f;
        if (isBias) {
            for (int ox = 0; ox < OW; ox++) s += conv_dz(act, dyr[ox], yr[ox]);
        } else {
            int iy = oy * SH - PT + ky * DH;
            if (iy >= 0 && iy < H) {
                GLOBAL const float* xr = x + xOff + ((n * C + c) * H + iy) * W;
                for (int ox = 0; ox < OW; ox++) {
                    int ix = ox * SW + dxOffset;
                    if (ix >= 0 && ix < W) s += conv_dz(act, dyr[ox], yr[ox]) * xr[ix];
                }
            }
        }
        acc += s;
    }
    partial[lid] = acc;
    GPUAE_TREE_REDUCE(partial, lid);
    if (lid == 0) {
        if (isBias) db[dbOff + f] = partial[0];
        else dw[dwOff + out] = partial[0];
    }
}
