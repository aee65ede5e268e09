using GpuAe.Backends;

namespace GpuAe.Graph;

/// <summary>Where a tensor's memory comes from.</summary>
internal enum TensorStorage
{
    /// <summary>Placed in the plan's arena by the memory planner (activations, gradients, workspaces).</summary>
    Planned,
    /// <summary>Lives across runs outside the arena (parameters, gradients, data, accumulators).</summary>
    External,
    /// <summary>A reshaped view of another tensor's memory (no copy).</summary>
    Alias,
}

/// <summary>A node's value in the graph: shape, element type and storage. Created by <see cref="GraphBuilder"/>.</summary>
internal sealed class Tensor
{
    internal Tensor(int id, string name, Shape shape, ElementType type, TensorStorage storage, Tensor? aliasOf, BufferView? external)
    {
        Id = id; Name = name; Shape = shape; Type = type; Storage = storage; AliasOf = aliasOf; External = external;
    }

    public int Id { get; }
    public string Name { get; }
    public Shape Shape { get; }
    public ElementType Type { get; }
    public TensorStorage Storage { get; }
    public Tensor? AliasOf { get; }
    public BufferView? External { get; }
    public long Length => Shape.ElementCount;

    /// <summary>The tensor that owns the memory (follows aliases).</summary>
    public Tensor Root => AliasOf?.Root ?? this;

    /// <summary>Kept alive until the end of the run, so the host can read it afterwards.</summary>
    public bool IsOutput { get; internal set; }

    public override string ToString() => $"{Name} {Shape}";
}
