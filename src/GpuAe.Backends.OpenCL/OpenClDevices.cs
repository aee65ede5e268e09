using GpuAe.Backends.OpenCL.Native;
using Silk.NET.OpenCL;

namespace GpuAe.Backends.OpenCL;

/// <summary>One OpenCL device as <c>gpuae devices</c> shows it.</summary>
/// <param name="Index">Position in the flat list over all platforms (what <c>--device N</c> selects).</param>
/// <param name="Type">"GPU", "CPU", "Accelerator" or "Other".</param>
/// <param name="MaxAllocationBytes">The largest single buffer the device takes (CL_DEVICE_MAX_MEM_ALLOC_SIZE).</param>
public sealed record OpenClDeviceInfo(
    int Index, int PlatformIndex, int DeviceIndex,
    string Platform, string PlatformVersion,
    string Name, string Vendor, string Type,
    int ComputeUnits, int MaxClockMHz, long GlobalMemoryBytes, long LocalMemoryBytes, long MaxWorkGroupSize,
    string Version, string DriverVersion, long MaxAllocationBytes = 0)
{
    /// <summary>"pthread-haswell-AMD EPYC (CPU, 2 CU, 3.1 GiB, OpenCL 3.0 PoCL, driver 3.1+debian)".</summary>
    public override string ToString() =>
        $"{Name} ({Type}, {ComputeUnits} CU, {GlobalMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, {Version}, driver {DriverVersion}) on {Platform}";
}

/// <summary>Enumerates OpenCL platforms and devices and resolves <c>--device</c> selectors.</summary>
public static class OpenClDevices
{
    /// <summary>True when the ICD loader (libOpenCL.so.1 / OpenCL.dll) can be loaded.</summary>
    public static bool IsLoaderAvailable => NativeLibraries.TryLoad(NativeLibraries.OpenCl, out _);

    /// <summary>Every device of every platform; empty with <paramref name="problem"/> set when there
    /// is no ICD loader or no platform.</summary>
    public static IReadOnlyList<OpenClDeviceInfo> List(out string? problem)
    {
        var list = new List<OpenClDeviceInfo>();
        problem = null;
        if (!IsLoaderAvailable)
        {
            problem = $"no OpenCL ICD loader ({NativeLibraries.OpenClLoaderName}) found; install one (Debian: ocl-icd-libopencl1 plus a driver such as pocl-opencl-icd)";
            return list;
        }
        try
        {
            foreach (var (info, _) in Enumerate()) list.Add(info);
        }
        catch (Exception e) when (e is OpenClException or DllNotFoundException or EntryPointNotFoundException)
        {
            problem = "OpenCL platforms could not be listed: " + e.Message;
            return list;
        }
        if (list.Count == 0) problem = "no OpenCL platform with a device (is an ICD such as pocl-opencl-icd installed?)";
        return list;
    }

    internal static List<(OpenClDeviceInfo Info, nint Device)> Enumerate()
    {
        var result = new List<(OpenClDeviceInfo, nint)>();
        var platforms = Cl.Platforms();
        for (int p = 0; p < platforms.Length; p++)
        {
            string platformName = Cl.PlatformString(platforms[p], PlatformInfo.Name);
            string platformVersion = Cl.PlatformString(platforms[p], PlatformInfo.Version);
            var devices = Cl.Devices(platforms[p]);
            for (int d = 0; d < devices.Length; d++)
            {
                var id = devices[d];
                ulong type = Cl.DeviceValue<ulong>(id, DeviceInfo.Type);
                var info = new OpenClDeviceInfo(
                    result.Count, p, d, platformName, platformVersion,
                    Cl.DeviceString(id, DeviceInfo.Name), Cl.DeviceString(id, DeviceInfo.Vendor),
                    (type & (ulong)DeviceType.Gpu) != 0 ? "GPU" : (type & (ulong)DeviceType.Cpu) != 0 ? "CPU"
                        : (type & (ulong)DeviceType.Accelerator) != 0 ? "Accelerator" : "Other",
                    (int)Cl.DeviceValue<uint>(id, DeviceInfo.MaxComputeUnits),
                    (int)Cl.DeviceValue<uint>(id, DeviceInfo.MaxClockFrequency),
                    (long)Cl.DeviceValue<ulong>(id, DeviceInfo.GlobalMemSize),
                    (long)Cl.DeviceValue<ulong>(id, DeviceInfo.LocalMemSize),
                    (long)Cl.DeviceValue<nuint>(id, DeviceInfo.MaxWorkGroupSize),
                    Cl.DeviceString(id, DeviceInfo.Version), Cl.DeviceString(id, DeviceInfo.DriverVersion),
                    (long)Cl.DeviceValue<ulong>(id, DeviceInfo.MaxMemAllocSize));
                result.Add((info, id));
            }
        }
        return result;
    }

    /// <summary>
    /// Picks a device. Selector: null/""/"auto" = first GPU, else first accelerator, else first device;
    /// "N" = flat index; "P:D" = platform P, device D; anything else = first device whose name, vendor
    /// or platform contains the text (case-insensitive); "gpu"/"cpu" = first device of that type.
    /// </summary>
    internal static bool TrySelect(string? selector, out OpenClDeviceInfo? info, out nint device, out string reason)
    {
        info = null;
        device = 0;
        var all = Enumerate();
        if (all.Count == 0) { reason = "no OpenCL platform with a device"; return false; }
        (OpenClDeviceInfo Info, nint Device)? pick = null;
        var s = selector?.Trim() ?? "";
        if (s.Length == 0 || s.Equals("auto", StringComparison.OrdinalIgnoreCase))
            pick = all.FirstOrDefault(x => x.Info.Type == "GPU") is var g && g.Device != 0 ? g
                 : all.FirstOrDefault(x => x.Info.Type == "Accelerator") is var a && a.Device != 0 ? a : all[0];
        else if (int.TryParse(s, out int index))
            pick = index >= 0 && index < all.Count ? all[index] : null;
        else if (s.Split(':') is [var ps, var ds] && int.TryParse(ps, out int pi) && int.TryParse(ds, out int di))
            pick = all.FirstOrDefault(x => x.Info.PlatformIndex == pi && x.Info.DeviceIndex == di) is var m && m.Device != 0 ? m : null;
        else if (s.Equals("gpu", StringComparison.OrdinalIgnoreCase) || s.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            pick = all.FirstOrDefault(x => x.Info.Type.Equals(s, StringComparison.OrdinalIgnoreCase)) is var t && t.Device != 0 ? t : null;
        else
            pick = all.FirstOrDefault(x => x.Info.Name.Contains(s, StringComparison.OrdinalIgnoreCase)
                || x.Info.Vendor.Contains(s, StringComparison.OrdinalIgnoreCase)
                || x.Info.Platform.Contains(s, StringComparison.OrdinalIgnoreCase)) is var n && n.Device != 0 ? n : null;
        if (pick is null)
        {
            reason = $"no OpenCL device matches '{selector}'; devices: " + string.Join("; ", all.Select(x => $"{x.Info.Index}: {x.Info.Name}"));
            return false;
        }
        info = pick.Value.Info;
        device = pick.Value.Device;
        reason = "";
        return true;
    }
}
