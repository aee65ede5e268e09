/* upsample.cl - nearest-neighbour upsampling by integer factors and bilinear upsampling (PyTorch semantics);
 * both backward passes gather. Portable body. */
#include "portable.h"

/* y [planes, H*SH, W*SW] from x [planes, H, W]. Overwrites. NDRange (ox, plane*OH + oy). */
KERNEL void upsample_nearest_forward(int planes, int H, int W, int SH, int SW,
                                     GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int ox = GID(0), line = GID(1);
    int OW = W * SW, OH = H * SH;
    if (ox >= OW) return;
    int oy = line % OH, p = line / OH;
    y[yOff + line * OW + ox] = x[xOff + (p * H + oy / SH) * W + ox / SW];
}

/* dx = sum of dy over each SH x SW block, in row order. Overwrites. NDRange (w, plane*H + h). */
KERNEL void upsample_nearest_backward(int planes, int H, int W, int SH, int SW,
                                      GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff)
{
    int w = GID(0), line = GID(1);
    if (w >= W) return;
    int h = line % H, p = line / H;
    int i = line * W + w;
    int OW = W * SW, OH = H * SH;
    GLOBAL const float* block = dy + dyOff + (p * OH + h * SH) * OW + w * SW;
    float sum = 0.0f;
    for (int a = 0; a < SH; a++)
        for (int b = 0; b < SW; b++) sum += block[a * OW + b];
    dx[dxOff + i] = sum;
}

/* ---- bilinear (PyTorch's interpolate(mode="bilinear"), align_corners false or true) ----------------------------
 * Along each axis, output o of n_out reads source coordinate src = o*ratio (align_corners) or
 * max((o + 0.5)*ratio - 0.5, 0) (half-pixel centres), ratio = (n_in - 1)/(n_out - 1) or n_in/n_out, computed by
 * the host in float; taps i0 = floor(src), i1 = min(i0 + 1, n_in - 1), weights 1 - l and l with l = src - i0. */

DEVICE_FN float bilinear_source(int o, float ratio, int align)
{
    if (align) return (float)o * ratio;
    float src = ((float)o + 0.5f) * ratio - 0.5f;
    return src < 0.0f ? 0.0f : src;
}

/* The weight with which output o reads input i along an axis of n inputs (both taps when they coincide). */
DEVICE_FN float bilinear_weight(int o, int i, int n, float ratio, int align)
{
    float src = bilinear_source(o, ratio, align);
    int i0 = (int)src;
    int i1 = i0 < n - 1 ? i0 + 1 : i0;
    float l1 = src - (float)i0, w = 0.0f;
    if (i0 == i) w += 1.0f - l1;
    if (i1 == i) w += l1;
    return w;
}

/* First and last output whose taps can reach input i: src in [i - 1, i + 1), widened by one for rounding. */
DEVICE_FN int bilinear_first_output(int i, int n, int outputs, int align)
{
    if (i <= 1 || n == 1) return 0;
    int first = (align ? (i - 1) * (outputs - 1) / (n - 1) : (i - 1) * outputs / n) - 1;
    return first > 0 ? first : 0;
}

DEVICE_FN int bilinear_last_output(int i, int n, int outputs, int align)
{
    int last = n == 1 ? outputs - 1 : (align ? (i + 1) * (outputs - 1) / (n - 1) : (i + 2) * outputs / n) + 1;
    return last < outputs - 1 ? last : outputs - 1;
}

/* y [planes, OH, OW] from x [planes, H, W]. Overwrites. NDRange (ox, plane*OH + oy). */
KERNEL void upsample_bilinear_forward(int planes, int H, int W, int OH, int OW, float ratioH, float ratioW, int align,
                                      GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int ox = GID(0), line = GID(1);
    if (ox >= OW) return;
    int oy = line % OH, p = line / OH;
    float sy = bilinear_source(oy, ratioH, align), sx = bilinear_source(ox, ratioW, align);
    int y0 = (int)sy, x0 = (int)sx;
    int y1 = y0 < H - 1 ? y0 + 1 : y0, x1 = x0 < W - 1 ? x0 + 1 : x0;
    float ly = sy - (float)y0, lx = sx - (float)x0;
    GLOBAL const float* plane = x + xOff + p * H * W;
    float top = (1.0f - lx) * plane[y0 * W + x0] + lx * plane[y0 * W + x1];
    float bottom = (1.0f - lx) * plane[y1 * W + x0] + lx * plane[y1 * W + x1];
    y[yOff + line * OW + ox] = (1.0f - ly) * top + ly * bottom;
}

/* Adjoint of upsample_bilinear_forward (gather, no atomics): dx[h, w] = sum over the outputs reading it of
 * weight_y * weight_x * dy, rows in order. Overwrites. NDRange (w, plane*H + h). */
KERNEL void upsample_bilinear_backward(int planes, int H, int W, int OH, int OW, float ratioH, float ratioW, int align,
                                       GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff)
{
    int w = GID(0), line = GID(1);
    if (w >= W) return;
    int h = line % H, p = line / H;
    int oy0 = bilinear_first_output(h, H, OH, align), oy1 = bilinear_last_output(h, H, OH, align);
    int ox0 = bilinear_first_output(w, W, OW, align), ox1 = bilinear_last_output(w, W, OW, align);
    GLOBAL const float* plane = dy + dyOff + p * OH * OW;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++) {
        float wy = bilinear_weight(oy, h, H, ratioH, align);
        if (wy == 0.0f) continue;
        float row = 0.0f;
        for (int ox = ox0; ox <= ox1; ox++) {
            float wx = bilinear_weight(ox, w, W, ratioW, align);
            if (wx != 0.0f) row += wx * plane[oy * OW + ox];
        }
        sum += wy * row;
    }
    dx[dxOff + line * W + w] = sum;
}
