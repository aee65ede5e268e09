using System.Runtime.InteropServices;
using GpuAe.Data;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>
/// gpuae_model: a <see cref="Trainer"/> (weights, optimizer state, plans) on a context's backend, and the input scaling
/// its checkpoint stored. A gpuae_trainer on the model keeps it alive (as models keep their context), and may replace the
/// Trainer by one with another recipe (<see cref="Trainer.WithRecipe"/>): the model's inference then uses the trained weights.
/// </summary>
internal sealed unsafe class NativeModel
{
    private readonly List<nint> _strings = [];
    private int _references = 1;

    public NativeModel(NativeContext context, Trainer trainer, InputScaling? scaling)
    {
        Context = context;
        Trainer = trainer;
        // What the CLI reads samples with: the checkpoint's scaling, else none for the model's sample shape.
        Scaling = scaling ?? new InputScaling(ScaleKind.None, trainer.Model.InputShape, null, null, [], []);
        context.AddReference();
    }

    public NativeContext Context { get; }
    public Trainer Trainer { get; private set; }

    /// <summary>How samples given to the C API are scaled before they reach the model (x - offset) / scale, as
    /// `gpuae encode` scales the data it reads for this checkpoint; saved with the model.</summary>
    public InputScaling Scaling { get; }

    /// <summary>The gpuae_trainer working on this model, if any (one at a time).</summary>
    public NativeTrainer? ActiveTrainer { get; set; }

    /// <summary>Values per sample (the product of the input shape).</summary>
    public int SampleSize => Trainer.Model.InputShape.Aggregate(1, (a, b) => a * b);

    /// <summary>Replaces the trainer (another recipe on the same weights); the old one is disposed.</summary>
    public void Replace(Trainer next)
    {
        var old = Trainer;
        Trainer = next;
        old.Dispose();
    }

    /// <summary><paramref name="count"/> host samples as a host data set, scaled as <see cref="Scaling"/> says.</summary>
    public Dataset Read(float* input, nuint count, string name = "input")
    {
        var shape = Trainer.Model.InputShape;
        int size = SampleSize;
        if (input is null) throw new NativeApiException(Status.InvalidArgument, $"{name} is NULL");
        if (count > (nuint)(int.MaxValue / size))
            throw new NativeApiException(Status.InvalidArgument, $"count = {count}: at most {int.MaxValue / size} samples of {size} values per call");
        var images = new ReadOnlySpan<float>(input, (int)count * size).ToArray();
        var (c, h, w) = shape.Length == 3 ? (shape[0], shape[1], shape[2]) : (1, 1, size);
        return Scaling.Apply(new Dataset(name, images, (int)count, c, h, w));
    }

    /// <summary>Uploads <paramref name="count"/> host samples (scaled) as a data set on the model's backend.</summary>
    public DeviceDataset Upload(float* input, nuint count, string name = "input") => new(Trainer.Backend, Read(input, count, name));

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/> that lives as long as the model.</summary>
    public byte* Keep(string text)
    {
        var copy = Errors.Copy(text);
        _strings.Add((nint)copy);
        return copy;
    }

    public void AddReference() => _references++;

    public void Release()
    {
        if (--_references > 0) return;
        Trainer.Dispose();
        foreach (nint text in _strings) NativeMemory.Free((void*)text);
        Context.Release();
    }
}
