using GpuAe.IO;

namespace GpuAe.Data;

/// <summary>Class labels for an array file that carries none (.npy or IDX images): an IDX file of unsigned bytes
/// (MNIST's label format, .gz too) or a 1-D .npy array of whole numbers 0-255 (uint8, float32 or float64).</summary>
public static class LabelFile
{
    /// <summary>Reads the labels in <paramref name="path"/> and checks there is one per sample of <paramref name="samples"/>.</summary>
    /// <exception cref="InvalidDataException">Not a label file, a value that is not a class 0-255, or another count; the message names the file.</exception>
    public static byte[] Read(string path, Dataset samples)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--labels {path}: no such file", path);
        byte[] labels;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var array = Npy.Read(path);
            if (array.Shape.Length != 1)
                throw DataFormat.Error(path, $"labels must be a 1-D array, found shape ({string.Join(", ", array.Shape)})");
            labels = new byte[array.Values.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                float v = array.Values[i];
                if (!(v >= 0 && v <= 255 && v == MathF.Floor(v)))
                    throw DataFormat.Error(path, $"element {i} is {v}, not a whole-number class 0..255");
                labels[i] = (byte)v;
            }
        }
        else
        {
            var idx = IdxReader.Read(path);
            if (idx.Shape.Length != 1 || idx.ElementType != IdxElementType.UInt8)
                throw DataFormat.Error(path, $"labels must be a 1-D IDX array of unsigned bytes, found shape [{string.Join(", ", idx.Shape)}] of {idx.ElementType}");
            labels = idx.Bytes.ToArray();
        }
        if (labels.Length != samples.Count)
            throw DataFormat.Error(path, $"{labels.Length} labels for the {samples.Count} samples of '{samples.Name}'");
        return labels;
    }
}
