/* upsample.cl - nearest-neighbour upsampling by integer factors; backward gathers each block. Portable body. */
#include "portable.h"

/* y [planes, H*SH, W*SW] from x [planes, H, W]. Overwrites. One work-item per output element. */
KERNEL void upsample_nearest_forward(int planes, int H, int W, int SH, int SW,
                                     GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int i = GID(0);
    int OW = W * SW, OH = H * SH;
    if (i >= planes * OH * OW) return;
    int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
    y[yOff + i] = x[xOff + (p * H + oy / SH) * W + ox / SW];
}

/* dx = sum of dy over each SH x SW block, in row order. Overwrites. One work-item per input element. */
KERNEL void upsample_nearest_backward(int planes, int H, int W, int SH, int SW,
                                      GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff)
{
    int i = GID(0);
    if (i >= planes * H * W) return;
    int w = i % W, h = (i / W) % H, p = i / (W * H);
    int OW = W * SW, OH = H * SH;
    GLOBAL const float* block = dy + dyOff + (p * OH + h * SH) * OW + w * SW;
    float sum = 0.0f;
    for (int a = 0; a < SH; a++)
        for (int b = 0; b < SW; b++) sum += block[a * OW + b];
    dx[dxOff + i] = sum;
}
