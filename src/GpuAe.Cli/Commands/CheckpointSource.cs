namespace GpuAe.Cli.Commands;

/// <summary>What `--from` names in encode and reconstruct: a run folder holding model.safetensors, or the checkpoint file itself.</summary>
internal readonly record struct CheckpointSource(string Checkpoint, string Folder)
{
    /// <exception cref="FileNotFoundException">Neither a folder with a checkpoint nor an existing file.</exception>
    public static CheckpointSource Resolve(string from)
    {
        bool isFolder = Directory.Exists(from);
        string checkpoint = isFolder ? Path.Combine(from, TrainingOutputs.CheckpointFile) : from;
        if (!File.Exists(checkpoint))
            throw new FileNotFoundException(isFolder
                ? $"--from {from}: no {TrainingOutputs.CheckpointFile} in that folder"
                : $"--from {from}: no such folder or checkpoint file", checkpoint);
        return new CheckpointSource(checkpoint, isFolder ? from : Path.GetDirectoryName(Path.GetFullPath(from))!);
    }
}
