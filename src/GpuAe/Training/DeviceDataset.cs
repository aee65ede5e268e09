using GpuAe.Backends;
using GpuAe.Data;

namespace GpuAe.Training;

/// <summary>A data set uploaded once to the device, with an order buffer the batches are gathered through.</summary>
public sealed class DeviceDataset : IDisposable
{
    public DeviceDataset(IBackend backend, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"data set {data.Name} is empty");
        Host = data;
        Images = backend.Allocate((long)data.Count * data.SampleSize);
        backend.Upload(Images.All, data.Images);
        Order = backend.Allocate(data.Count, ElementType.Int32);
        backend.Upload(Order.All, Enumerable.Range(0, data.Count).ToArray());
        Backend = backend;
    }

    public Dataset Host { get; }
    public int Count => Host.Count;
    internal IBackend Backend { get; }
    internal DeviceBuffer Images { get; }
    internal DeviceBuffer Order { get; }

    /// <summary>Replaces the gather order (an epoch's shuffle); every index must be in [0, Count).</summary>
    internal void SetOrder(ReadOnlySpan<int> order) => Backend.Upload(Order.All, order);

    public void Dispose()
    {
        Images.Dispose();
        Order.Dispose();
    }
}
