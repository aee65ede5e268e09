using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu;

/// <summary>Host memory standing in for device memory: reals of type T or 32-bit integers.</summary>
internal sealed class CpuBuffer<T> : DeviceBuffer where T : unmanaged, IFloatingPointIeee754<T>
{
    public CpuBuffer(CpuBackend<T> owner, long length, ElementType type) : base(length, type)
    {
        if (length > Array.MaxLength)
            throw new OutOfMemoryException($"cpu: a buffer of {length} elements exceeds the largest array ({Array.MaxLength})");
        Owner = owner;
        if (type == ElementType.Real) Reals = new T[length];
        else Integers = new int[length];
    }

    public CpuBackend<T> Owner { get; }
    public T[] Reals { get; } = [];
    public int[] Integers { get; } = [];

    protected override void Release() { }
}
