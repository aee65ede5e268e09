/* activation.cl - pointwise activations, forward and backward. Portable body.
 * The formulas live in portable.h (act_forward / act_derivative) so GEMM epilogues share them. */
#include "portable.h"

/* y = f(x). Overwrites; x and y may be the same view. */
KERNEL void activation_forward(int act, int n, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff)
{
    int i = GID(0);
    if (i < n) y[yOff + i] = act_forward(act, x[xOff + i]);
}

/* dx = dy * f'(x), with f' written through y = f(x). Overwrites; dx may alias dy. */
KERNEL void activation_backward(int act, int n, GLOBAL const float* y, int yOff,
                                GLOBAL const float* dy, int dyOff, GLOBAL float* dx, int dxOff)
{
    int i = GID(0);
    if (i < n) dx[dxOff + i] = dy[dyOff + i] * act_derivative(act, y[yOff + i]);
}
