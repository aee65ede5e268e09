using System.Numerics;
using GpuAe.Backends;
using GpuAe.Random;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Philox streams, computed in float32 whatever T is, so every backend draws the same numbers.</summary>
internal static class RandomKernels
{
    public static void Fill<T>(RandomDistribution distribution, ulong seed, ulong offset, HostView<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuParallel.For(destination.Length, 8192, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                float value = distribution == RandomDistribution.Uniform
                    ? Philox.ToUniform(Philox.Word(seed, offset, (ulong)i))
                    : Philox.Normal(seed, offset, (ulong)i);
                destination[i] = T.CreateTruncating(value);
            }
        });
    }
}
