/* pool.cl - max-pool (forward stores argmax; backward gathers by argmax, no atomics) and average-pool.
 * Portable body. Planes of H x W; window WH x WW, stride SH x SW, padding top/left PT/PL; OH x OW out.
 * NDRange (column, plane*rows + row): one work-item per element, no per-element index division along x. */
#include "portable.h"

/* One work-item per output. argmax = flat index h*W+w inside the plane, -1 (and y = 0) when the window
 * only covers padding. Ties keep the first maximum in (ky, kx) order. Overwrites y and argmax. */
KERNEL void maxpool_forward(int planes, int H, int W, int WH, int WW, int SH, int SW, int PT, int PL,
                            int OH, int OW, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff,
                            GLOBAL int* argmax, int argmaxOff)
{
    int ox = GID(0), line = GID(1);
    if (ox >= OW) return;
    int oy = line % OH, p = line / OH, i = line * OW + ox;
    GLOBAL const float* plane = x + xOff + p * H * W;
    float best = 0.0f;
    int arg = -1;
    for (int ky = 0; ky < WH; ky++) {
        int h = oy * SH - PT + ky;
        if (h < 0 || h >= H) continue;
        for (int kx = 0; kx < WW; kx++) {
            int w = ox * SW - PL + kx;
            if (w < 0 || w >= W) continue;
            float v = plane[h * W + w];
            if (arg < 0 || v > best) { best = v; arg = h * W + w; }
        }
    }
    y[yOff + i] = best;
    argmax[argmaxOff + i] = arg;
}

/* One work-item per input element: sums dy over the windows that contain it and chose it. Overwrites dx. */
KERNEL void maxpool_backward(int planes, int H, int W, int WH, int WW, int SH, int SW, int PT, int PL,
                             int OH, int OW, GLOBAL const float* dy, int dyOff, GLOBAL const int* argmax,
                             int argmaxOff, GLOBAL float* dx, int dxOff)
{
    int w = GID(0), line = GID(1);
    if (w >= W) return;
    int h = line % H, p = line / H, i = line * W + w;
    int self = h * W + w;
    /* outputs whose window [o*S - P, o*S - P + WIN) contains the position */
    int oy0 = h + PT - WH + 1; oy0 = oy0 <= 0 ? 0 : (oy0 + SH - 1) / SH;
    int oy1 = (h + PT) / SH; if (oy1 > OH - 1) oy1 = OH - 1;
    int ox0 = w + PL - WW + 1; ox0 = ox0 <= 0 ? 0 : (ox0 + SW - 1) / SW;
    int ox1 = (w + PL) / SW; if (ox1 > OW - 1) ox1 = OW - 1;
    float sum = 0.0f;
    int base = p * OH * OW;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++) {
            int o = base + oy * OW + ox;
            if (argmax[argmaxOff + o] == self) sum += dy[dyOff + o];
        }
    dx[dxOff + i] = sum;
}

/* Average pooling's divisor along one axis for a window starting at `start` (PyTorch's avg_pool2d): its positions
 * inside the padded extent [-pad_before, n + pad_after) when countPad, else only those inside the input [0, n). */
DEVICE_FN int avgpool_counted(int start, int window, int n, int padAfter, int countPad)
{
    int end = start + window;
    if (end > n + padAfter) end = n + padAfter;
    if (!countPad) {
        if (end > n) end = n;
        if (start < 0) start = 0;
    }
    return end > start ? end - start : 0;
}

/* Mean over each window: the sum of its input positions (padding adds zero) over avgpool_counted's divisor
 * (0 for a window over padding alone). Overwrites. */
KERNEL void avgpool_forward(int planes, int H, int W, int WH, int WW, int SH, int SW, int PT, int PL,
                            int OH, int OW, int PB, int PR, int countPad,
                            GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int ox = GID(0), line = GID(1);
    if (ox >= OW) return;
    int oy = line % OH, p = line / OH, i = line * OW + ox;
    GLOBAL const float* plane = x + xOff + p * H * W;
    float sum = 0.0f;
    for (int ky = 0; ky < WH; ky++) {
        int h = oy * SH - PT + ky;
        if (h < 0 || h >= H) continue;
        for (int kx = 0; kx < WW; kx++) {
            int w = ox * SW - PL + kx;
            if (w >= 0 && w < W) sum += plane[h * W + w];
        }
    }
    int divisor = avgpool_counted(oy * SH - PT, WH, H, PB, countPad) * avgpool_counted(ox * SW - PL, WW, W, PR, countPad);
    y[yOff + i] = divisor > 0 ? sum / (float)divisor : 0.0f;
}

/* Adjoint of avgpool_forward (gather): each input sums dy / divisor over the windows covering it. Overwrites dx. */
KERNEL void avgpool_backward(int planes, int H, int W, int WH, int WW, int SH, int SW, int PT, int PL,
                             int OH, int OW, int PB, int PR, int countPad,
                             GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff)
{
    int w = GID(0), line = GID(1);
    if (w >= W) return;
    int h = line % H, p = line / H, i = line * W + w;
    int oy0 = h + PT - WH + 1; oy0 = oy0 <= 0 ? 0 : (oy0 + SH - 1) / SH;
    int oy1 = (h + PT) / SH; if (oy1 > OH - 1) oy1 = OH - 1;
    int ox0 = w + PL - WW + 1; ox0 = ox0 <= 0 ? 0 : (ox0 + SW - 1) / SW;
    int ox1 = (w + PL) / SW; if (ox1 > OW - 1) ox1 = OW - 1;
    float sum = 0.0f;
    int base = p * OH * OW;
    for (int oy = oy0; oy <= oy1; oy++) {
        int rows = avgpool_counted(oy * SH - PT, WH, H, PB, countPad);
        for (int ox = ox0; ox <= ox1; ox++)
            sum += dy[dyOff + base + oy * OW + ox] / (float)(rows * avgpool_counted(ox * SW - PL, WW, W, PR, countPad));
    }
    dx[dxOff + i] = sum;
}
