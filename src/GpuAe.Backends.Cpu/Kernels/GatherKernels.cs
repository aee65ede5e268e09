using System.Numerics;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Row gather: builds a shuffled batch from the dataset resident in device memory.</summary>
internal static class GatherKernels
{
    public static void Rows<T>(HostView<T> source, int rowLength, HostView<int> indices, HostView<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int sourceRows = rowLength == 0 ? 0 : source.Length / rowLength;
        CpuParallel.For(indices.Length, 64, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                int row = indices[i];
                if ((uint)row >= (uint)sourceRows)
                    throw new ArgumentOutOfRangeException(nameof(indices), row, $"gather: index {row} at position {i} is outside the {sourceRows} source rows");
                source.Part(row * rowLength, rowLength).CopyTo(destination.Part(i * rowLength, rowLength));
            }
        });
    }
}
