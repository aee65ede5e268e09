/* upsample.cl - nearest-neighbour upsampling by integer factors; backward gathers each block. Portable body. */
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
